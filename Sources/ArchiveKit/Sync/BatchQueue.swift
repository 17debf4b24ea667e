/// Hands fetched calls from many fetch tasks to the single writer.
///
/// The writer takes everything queued at once (up to `maxBatch`), so batches
/// grow under load and shrink to one call when the network is the bottleneck:
/// commits stay few when busy and prompt when idle. Producers wait when
/// `capacity` items are queued, which bounds memory if the disk is slow.
actor BatchQueue<Element: Sendable> {
    private var items: [Element] = []
    private var finished = false
    private var consumer: CheckedContinuation<[Element]?, Never>?
    private var waitingProducers: [CheckedContinuation<Void, Never>] = []
    private let maxBatch: Int
    private let capacity: Int

    init(maxBatch: Int = 256, capacity: Int = 1024) {
        self.maxBatch = maxBatch
        self.capacity = capacity
    }

    func append(_ element: Element) async {
        while items.count >= capacity, !finished {
            await withCheckedContinuation { waitingProducers.append($0) }
        }
        items.append(element)
        if let consumer {
            self.consumer = nil
            consumer.resume(returning: take())
        }
    }

    /// The next batch, or nil once finished and drained.
    func next() async -> [Element]? {
        if !items.isEmpty { return take() }
        if finished { return nil }
        return await withCheckedContinuation { consumer = $0 }
    }

    func finish() {
        finished = true
        if let consumer {
            self.consumer = nil
            consumer.resume(returning: items.isEmpty ? nil : take())
        }
        for producer in waitingProducers { producer.resume() }
        waitingProducers.removeAll()
    }

    private func take() -> [Element] {
        let count = min(maxBatch, items.count)
        let batch = Array(items.prefix(count))
        items.removeFirst(count)
        for producer in waitingProducers { producer.resume() }
        waitingProducers.removeAll()
        return batch
    }
}
