/// The IDs of archived calls that have ended but whose recording is not
/// archived yet, read from the archive a page at a time: `archive recordings`
/// runs a sync over them, which downloads the recordings of final calls with
/// their stored link (skipping their Get Call), and fetches the others again
/// first, as any sync does.
public actor MissingRecordingsSource: IDSource {
    private let store: any SyncStore
    private let provider: Provider
    private var after: String?
    private var finished = false
    private var position = 0
    /// Why reading the archive failed, if it did (either store phrases its errors for people).
    public private(set) var failure: (any Error)?

    public init(store: any SyncStore, provider: Provider) {
        self.store = store
        self.provider = provider
    }

    public func next() async -> [IDLine]? {
        guard !finished else { return nil }
        do {
            let ids = try await store.callsMissingRecordings(provider: provider, after: after, limit: 500)
            guard let last = ids.last else {
                finished = true
                return nil
            }
            after = last
            defer { position += ids.count }
            return ids.enumerated().map { .id($1, line: position + $0 + 1) }
        } catch {
            failure = error
            finished = true
            return nil
        }
    }
}
