import Foundation
import Logging

/// Walks a vendor's List Calls page by page and hands out the IDs that pass
/// the filters, as an `IDSource`: `archive ids` prints them, `sync --discover`
/// fetches them while later pages are still being listed.
///
/// Each page's IDs and the way to the next page are saved in one transaction
/// (`listings`, `listing_ids`), so an interrupted listing resumes where it
/// stopped: the IDs it had listed are handed out again from the archive, with
/// no request, and listing goes on from the saved page. A page is retried like
/// Get Call. A page token seen twice (a loop) or pages that keep coming back
/// empty stop the listing with an error instead of walking forever.
public actor CallListing: IDSource {
    public struct Progress: Sendable, Equatable {
        public var pages = 0
        public var requests = 0
        public var ids = 0
        /// IDs handed out again from an interrupted listing, without a request.
        public var resumedIDs = 0
        /// Calls left out because they had no usable time while a time filter was set.
        public var undated = 0
        /// Whether this run continued an interrupted listing.
        public var resumed = false
        /// `Retry-After` waits cut to `--max-retry-after`.
        public var retryAfterCapped = 0
    }

    private let store: any ListingStore
    private let client: VendorClient
    private let query: ListingQuery
    private let retry: RetryExecutor
    private let restart: Bool

    private enum Stage {
        case notStarted
        case replaying(listing: ListingProgress, after: Int)
        case listing(listing: ListingProgress, next: String?)
        case done
    }

    private var stage = Stage.notStarted
    private var seenPages = Set<String>()
    private var seenIDs = Set<String>()
    private var emptyPagesInARow = 0
    /// What the walk itself counts; `progress` adds what its requests did.
    private var walked = Progress()
    public var progress: Progress {
        var progress = walked
        let events = retry.events.snapshot
        progress.requests = events.requests
        progress.retryAfterCapped = events.retryAfterCapped
        return progress
    }
    /// Why the listing stopped early; nil while it runs or once it has finished.
    public private(set) var failure: ListingError?

    public init(store: any ListingStore, client: VendorClient, query: ListingQuery, policy: RetryPolicy, logger: Logger,
                restart: Bool = false) {
        self.store = store
        self.client = client
        self.query = query
        self.retry = RetryExecutor(policy: policy, logger: logger, events: RequestEvents(), redact: client.redact)
        self.restart = restart
    }

    public func next() async -> [IDLine]? {
        do {
            while true {
                switch stage {
                case .notStarted:
                    let (listing, resumed) = try await store.startListing(
                        provider: client.provider, baseURL: client.baseURL.description, query: query.canonical, restart: restart, at: Date())
                    walked.resumed = resumed
                    walked.pages = listing.pages
                    stage = resumed ? .replaying(listing: listing, after: 0) : .listing(listing: listing, next: nil)
                case .replaying(let listing, let after):
                    if let replayed = try await replay(listing, after: after) { return replayed }
                case .listing(let listing, let next):
                    if let listed = try await listPage(listing, next: next), !listed.isEmpty { return listed }
                case .done:
                    return nil
                }
            }
        } catch let error as ListingError {
            failure = error
        } catch is CancellationError {
            failure = nil
        } catch let error as any UserFacingError {  // the archive's own: SQLite's or PostgreSQL's
            failure = .failed(error.description)
        } catch {
            failure = .failed("\(error)")
        }
        stage = .done
        return nil
    }

    /// The next IDs an interrupted listing had listed, from the archive; nil
    /// once they are all out, and listing goes on from the saved page.
    private func replay(_ listing: ListingProgress, after: Int) async throws -> [IDLine]? {
        let saved = try await store.listedIDs(listing.listingID, after: after, limit: 1000)
        guard let last = saved.last else {
            stage = .listing(listing: listing, next: listing.nextPage)
            return nil
        }
        stage = .replaying(listing: listing, after: last.position)
        seenIDs.formUnion(saved.map(\.id))
        walked.resumedIDs += saved.count
        walked.ids += saved.count
        return saved.map { .id($0.id, line: $0.position) }
    }

    /// Lists one page and saves it; returns its IDs that pass the filters and
    /// were not listed before (possibly none), or nil when the listing is done.
    private func listPage(_ listing: ListingProgress, next: String?) async throws -> [IDLine]? {
        var listing = listing
        if listing.pages > 0 && next == nil {  // finished, but not marked so
            stage = .done
            return nil
        }
        let request = try next.map { try client.adapter.nextPage($0, base: client.baseURL, query: query) }
            ?? client.adapter.firstPage(base: client.baseURL, query: query)
        let page = try await fetchPage(request)
        var fresh: [String] = []
        for item in page.items where seenIDs.insert(item.id).inserted {
            if query.admits(time: item.time, status: item.status) {
                fresh.append(item.id)
            } else if item.time == nil && (query.since != nil || query.until != nil) {
                walked.undated += 1
            }
        }
        let nextToken = try checkedNext(page)
        listing.pages += 1
        try await store.savePage(listing.listingID, ids: fresh, firstPosition: listing.ids + 1, next: nextToken, pages: listing.pages, at: Date())
        let first = listing.ids + 1
        listing.ids += fresh.count
        walked.pages = listing.pages
        walked.ids += fresh.count
        stage = nextToken == nil ? .done : .listing(listing: listing, next: nextToken)
        return fresh.enumerated().map { .id($1, line: first + $0) }
    }

    /// The next page token, once it is shown not to lead back to a page already
    /// listed, and pages are not endlessly empty.
    private func checkedNext(_ page: ListedPage) throws(ListingError) -> String? {
        guard let next = page.next else { return nil }
        guard seenPages.insert(next).inserted else {
            throw .vendor("the vendor sent a page token it had sent before (\(next.debugDescription)) after \(walked.pages + 1) pages: its pagination loops, so the listing stopped")
        }
        emptyPagesInARow = page.items.isEmpty ? emptyPagesInARow + 1 : 0
        if emptyPagesInARow >= 3 {
            throw .vendor("the vendor sent 3 empty pages in a row that each named a next page; the listing stopped rather than walk on")
        }
        return next
    }

    /// One page, through the same retry executor as Get Call.
    private func fetchPage(_ request: PageRequest) async throws -> ListedPage {
        let page = walked.pages + 1
        let result: RetryResult<ListedPage, ListingError> = await retry.run("List Calls page \(page)") {
            retry.events.requestSent()
            let answer = try await client.send(request)
            switch answer.status {
            case 200...299:
                guard let body = answer.text else {
                    return .retry(Refusal(message: "response is not UTF-8 text", status: answer.status))
                }
                do throws(ListingError) {
                    return .done(try client.adapter.parsePage(body))
                } catch {
                    return .retry(Refusal(message: client.redact(error.description), status: answer.status))
                }
            case 401, 403:
                return .fail(.authRejected(status: answer.status))
            case let status where RetryExecutor.isTransient(status):
                return .retry(Refusal(message: "HTTP \(status)", status: status, retryAfter: answer.retryAfter))
            default:
                return .fail(.failed("HTTP \(answer.status) for a page of List Calls: \(client.excerpt(answer.body))"))
            }
        }
        switch result {
        case .done(let listed, _): return listed
        case .failed(let error, _): throw error
        case .exhausted(let last, let attempts):
            throw ListingError.unavailable("page \(page) of List Calls failed \(attempts) times (last: \(last.message)); run the same command again to resume from it")
        case .cancelled: throw CancellationError()
        }
    }
}
