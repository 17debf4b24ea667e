import Foundation
import Logging
import Synchronization

/// Everything a sync needs to know before it starts.
public struct SyncConfiguration: Sendable {
    public var provider: Provider
    public var baseURL: BaseURL
    public var apiKey: String
    /// The most requests in flight; fewer while the vendor answers 429 (see `RequestGovernor`).
    public var concurrency: Int
    /// Requests started per second at most (`--max-rate`); nil leaves it to the vendor's 429s.
    public var maxRate: Double?
    public var refresh: Bool
    public var timeout: Duration
    public var retry: RetryPolicy
    /// The ID list's name for `sync_runs.source`.
    public var source: String
    /// Where to archive each synced call's recording; nil: recordings are not fetched.
    public var recordings: RecordingStore?
    /// Also the two-party recording where the vendor offers one (Retell's
    /// multichannel, Vapi's stereo), right after each Get Call (`--two-party-recordings`).
    public var twoPartyRecordings = false
    /// The sync stops once this many calls in a row ran out of attempts on
    /// 5xx, 429, timeouts or network errors: the vendor is down, and going on
    /// would only spin. Default: twice the concurrency, at least 10.
    public var unavailableAfter: Int

    public init(provider: Provider, baseURL: BaseURL, apiKey: String, concurrency: Int = 8, maxRate: Double? = nil,
                refresh: Bool = false, timeout: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy(), source: String,
                recordings: RecordingStore? = nil) {
        self.provider = provider
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.concurrency = concurrency
        self.maxRate = maxRate
        self.refresh = refresh
        self.timeout = timeout
        self.retry = retry
        self.source = source
        self.recordings = recordings
        self.unavailableAfter = max(10, 2 * concurrency)
    }
}

/// How a sync ended, and what it did.
public struct SyncReport: Sendable {
    public enum Outcome: Sendable, Equatable {
        case completed
        case completedWithFailures
        case interrupted(signal: Int32)
        case authRejected(status: Int)
        /// Too many calls in a row failed on 5xx/429/timeouts/network errors; the last error.
        case vendorUnavailable(failuresInARow: Int, lastError: String)
        case storageFailed(String)
    }

    public var outcome: Outcome
    public var runID: Int64
    public var counts: SyncCounts
    /// The first failures of the run; the rest are in `sync_failures`.
    public var failures: [SyncFailure]
    /// The first invalid lines of the list.
    public var invalidLines: [(line: Int, reason: String)]
    /// The first recordings that could not be archived; the rest are in `recording_failures`.
    public var recordingFailures: [RecordingFailure]
    public var retryAfterCapped: Int
    /// Answers that were HTTP 429, and the window and pace the run ended with.
    public var throttled: Int
    public var finalConcurrency: Int
    public var finalPace: Double?
    public var elapsed: Duration

    public static let keptExamples = 20
}

/// A snapshot for progress display.
public struct SyncProgress: Sendable {
    public var counts: SyncCounts
    public var listFinished: Bool
    public var elapsed: Duration
}

/// Runs one sync: reads IDs, skips what is final, fetches the rest concurrently,
/// and hands every result to a single writer that commits in batches.
///
/// The network and the writer are separate: `concurrency` fetch tasks run at
/// once, while one task drains `BatchQueue` into SQLite. `stop(signal:)` stops
/// scheduling, cancels in-flight requests, and lets fetched calls commit.
public final class SyncEngine: Sendable {
    private let store: any SyncStore
    private let configuration: SyncConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var counts = SyncCounts()
        var failures: [SyncFailure] = []
        var invalidLines: [(line: Int, reason: String)] = []
        var recordingFailures: [RecordingFailure] = []
        var listFinished = false
        var stopReason: SyncReport.Outcome?
        var fetchTask: Task<Void, Never>?
        /// Calls in a row that ended `.unavailable`; any other answer resets it.
        var unavailableInARow = 0

        mutating func noteFailure(_ failure: SyncFailure) {
            counts.failed += 1
            if failures.count < SyncReport.keptExamples { failures.append(failure) }
        }
    }

    public init(store: any SyncStore, configuration: SyncConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Asks a running sync to stop, as Ctrl-C does: what was fetched is still committed.
    public func stop(signal: Int32) {
        halt(.interrupted(signal: signal))
    }

    private func halt(_ reason: SyncReport.Outcome) {
        let task = state.withLock { state -> Task<Void, Never>? in
            if state.stopReason == nil { state.stopReason = reason }
            return state.fetchTask
        }
        task?.cancel()
    }

    public func progress(since start: ContinuousClock.Instant) -> SyncProgress {
        state.withLock { SyncProgress(counts: $0.counts, listFinished: $0.listFinished, elapsed: .now - start) }
    }

    public func run(_ source: some IDSource) async throws -> SyncReport {
        let start = ContinuousClock.now
        let runID = try await store.beginRun(provider: configuration.provider, baseURL: configuration.baseURL.description,
                                             source: configuration.source, at: Date())
        let client = VendorClient(provider: configuration.provider, baseURL: configuration.baseURL,
                                  apiKey: configuration.apiKey, timeout: configuration.timeout,
                                  concurrency: configuration.concurrency)
        let events = RequestEvents()
        // One executor, so a capped Retry-After counts the same for calls and recordings.
        let retry = RetryExecutor(policy: configuration.retry, logger: logger, events: events, redact: client.redact)
        let governor = RequestGovernor(ceiling: configuration.concurrency, maxRate: configuration.maxRate)
        let fetcher = CallFetcher(client: client, retry: retry, governor: governor)
        let queue = BatchQueue<SyncRecord>()
        var downloader: RecordingDownloader?
        var recordings: RecordingFetcher?
        if let recordingStore = configuration.recordings {
            let recordingClient = RecordingDownloader(api: client, timeout: configuration.timeout,
                                                      concurrency: configuration.concurrency)
            downloader = recordingClient
            recordings = RecordingFetcher(downloader: recordingClient, store: recordingStore, retry: retry) { id, variant in
                // A fresh Get Call, only for its new recording link.
                guard case .archived(let call) = await fetcher.fetch(id) else { return nil }
                return client.recordingLink(variant, of: call)
            }
        }

        let writer = Task { await self.drain(queue, runID: runID) }
        let fetchTask = Task { [recordings] in await self.fetchAll(from: source, with: fetcher, recordings: recordings, into: queue) }
        let stoppedAlready = state.withLock { state in
            state.fetchTask = fetchTask
            return state.stopReason != nil
        }
        if stoppedAlready { fetchTask.cancel() }  // a stop that came before the task existed
        await fetchTask.value
        await queue.finish()
        await writer.value
        await client.shutdown()
        await downloader?.shutdown()

        let snapshot = events.snapshot
        let report = state.withLock { state -> SyncReport in
            state.counts.requests = snapshot.requests
            let failures = state.counts.failed + state.counts.invalidLines + state.counts.recordingFailures
            let outcome = state.stopReason ?? (failures > 0 ? .completedWithFailures : .completed)
            return SyncReport(outcome: outcome, runID: runID, counts: state.counts, failures: state.failures,
                              invalidLines: state.invalidLines, recordingFailures: state.recordingFailures, retryAfterCapped: snapshot.retryAfterCapped,
                              throttled: governor.throttledCount, finalConcurrency: governor.permits,
                              finalPace: governor.pace, elapsed: .now - start)
        }
        try await store.finishRun(runID, counts: report.counts, outcome: report.outcome.recordedName, at: Date())
        return report
    }

    /// Reads the list chunk by chunk, plans each (`ChunkPlan`), and runs the
    /// work as tasks. Only the governor bounds Get Call requests in flight.
    /// The bound on live tasks is memory's, not the vendor's: a task that got
    /// its answer may still be waiting for the writer or downloading a
    /// recording, so room for `concurrency` of those comes on top of the
    /// governor's window, and a download never takes a Get Call's place.
    private func fetchAll(from source: some IDSource, with fetcher: CallFetcher, recordings: RecordingFetcher?,
                          into queue: BatchQueue<SyncRecord>) async {
        var seen = Set<String>()
        let maxTasksAlive = 2 * configuration.concurrency
        await withTaskGroup(of: Void.self) { group in
            var tasks = 0
            reading: while !Task.isCancelled, let chunk = await source.next() {
                let fresh = newIDs(in: chunk, seen: &seen)
                let plan: ChunkPlan
                do {
                    plan = ChunkPlan.make(fresh, archived: try await archived(among: fresh, recordings: recordings != nil),
                                          recordings: recordings != nil)
                } catch {
                    halt(.storageFailed("\(error)"))
                    break reading
                }
                state.withLock {
                    $0.counts.idsRead += fresh.count
                    $0.counts.skipped += plan.skipped
                }
                for work in plan.work {
                    if tasks >= maxTasksAlive {
                        await group.next()
                        tasks -= 1
                    }
                    if Task.isCancelled { break reading }
                    tasks += 1
                    group.addTask { await self.perform(work, with: fetcher, recordings: recordings, into: queue) }
                }
            }
            state.withLock { $0.listFinished = true }
            await group.waitForAll()
        }
    }

    /// The chunk's IDs not seen before in this run; invalid lines are counted and logged.
    private func newIDs(in chunk: [IDLine], seen: inout Set<String>) -> [String] {
        var fresh: [String] = []
        for line in chunk {
            switch line {
            case .id(let id, _):
                if seen.insert(id).inserted { fresh.append(id) }
            case .invalid(let number, let reason):
                logger.debug("line \(number) of the ID list skipped: \(reason)")
                state.withLock {
                    $0.counts.invalidLines += 1
                    if $0.invalidLines.count < SyncReport.keptExamples { $0.invalidLines.append((number, reason)) }
                }
            }
        }
        return fresh
    }

    /// What the archive holds of `ids`, as much as the plan needs.
    private func archived(among ids: [String], recordings: Bool) async throws -> ChunkPlan.Archived {
        var archived = ChunkPlan.Archived()
        if !configuration.refresh { archived.final = try await store.finalIDs(provider: configuration.provider, among: ids) }
        if recordings {
            archived.missingRecordings = try await store.missingRecordings(provider: configuration.provider, among: archived.final)
            archived.recordings = try await store.archivedRecordings(provider: configuration.provider,
                                                                     among: ids.filter { !archived.final.contains($0) })
        }
        return archived
    }

    /// One piece of planned work. A fetched call's recording is downloaded
    /// right after it, while its link is fresh, once the call has ended.
    private func perform(_ work: ChunkPlan.Work, with fetcher: CallFetcher, recordings: RecordingFetcher?,
                         into queue: BatchQueue<SyncRecord>) async {
        switch work {
        case .recordingOnly(let id, let bodyLink):
            guard let recordings, let link = fetcher.client.recordingLink(callID: id, bodyLink: bodyLink) else { return }
            await archiveRecording(id, link: link, with: recordings, into: queue)
        case .fetch(let id, let wantsRecording):
            let outcome = await fetcher.fetch(id)
            noteVendorHealth(outcome)
            switch outcome {
            case .archived(let call):
                await queue.append(.archived(call))
                // A call still in progress has no recording yet.
                guard let recordings, call.isFinal || call.endedAt != nil else { break }
                if wantsRecording, let link = fetcher.client.recordingLink(.mono, of: call) {
                    await archiveRecording(id, link: link, with: recordings, into: queue)
                }
                // Only right after the Get Call, while the link is fresh (Retell's expires in 24 hours).
                if configuration.twoPartyRecordings,
                   let (variant, link) = fetcher.client.twoPartyRecording(of: call) {
                    await archiveRecording(id, variant: variant, link: link, with: recordings, into: queue)
                }
            case .failed(let failure), .unavailable(let failure): await queue.append(.failed(failure))
            case .authRejected(let status): halt(.authRejected(status: status))
            case .cancelled: break
            }
        }
    }

    private func archiveRecording(_ id: String, variant: RecordingVariant = .mono, link: String, with recordings: RecordingFetcher,
                                  into queue: BatchQueue<SyncRecord>) async {
        switch await recordings.fetch(callID: id, variant: variant, link: link) {
        case .archived(let row): await queue.append(.recording(row))
        case .failed(let failure): await queue.append(.recordingFailed(failure))
        case .storageFailed(let message): halt(.storageFailed(message))
        case .cancelled: break
        }
    }

    /// Stops the run when the vendor has failed too many calls in a row, so a
    /// vendor that is down costs bounded time instead of every ID's full retries.
    private func noteVendorHealth(_ outcome: FetchOutcome) {
        let limit = configuration.unavailableAfter
        let give = state.withLock { state -> SyncReport.Outcome? in
            switch outcome {
            case .unavailable(let failure):
                state.unavailableInARow += 1
                guard state.unavailableInARow >= limit else { return nil }
                return .vendorUnavailable(failuresInARow: state.unavailableInARow, lastError: failure.error)
            case .archived, .failed:
                state.unavailableInARow = 0
                return nil
            case .authRejected, .cancelled:
                return nil
            }
        }
        if let give { halt(give) }
    }

    /// The single writer: commits whatever has queued up, batch after batch.
    private func drain(_ queue: BatchQueue<SyncRecord>, runID: Int64) async {
        var storageFailed = false
        while let batch = await queue.next() {
            if storageFailed { continue }  // keep draining so fetchers never wait forever
            do {
                let refused = try await store.save(batch, runID: runID, now: Date())
                state.withLock { state in
                    for record in batch {
                        switch record {
                        case .archived: state.counts.fetched += 1
                        case .failed(let failure): state.noteFailure(failure)
                        case .recording(let row):
                            state.counts.recordings += 1
                            state.counts.recordingBytes += row.size
                        case .recordingFailed(let failure):
                            state.counts.recordingFailures += 1
                            if state.recordingFailures.count < SyncReport.keptExamples { state.recordingFailures.append(failure) }
                        }
                    }
                    state.counts.fetched -= refused.count
                    refused.forEach { state.noteFailure($0) }
                }
            } catch {
                logger.error("\(String(describing: error))")
                storageFailed = true
                halt(.storageFailed(String(describing: error)))
            }
        }
    }
}

extension SyncReport.Outcome {
    /// The value stored in `sync_runs.outcome`.
    public var recordedName: String {
        switch self {
        case .completed: "completed"
        case .completedWithFailures: "completed_with_failures"
        case .interrupted: "interrupted"
        case .authRejected: "auth_rejected"
        case .vendorUnavailable: "vendor_unavailable"
        case .storageFailed: "aborted"
        }
    }
}
