import AsyncHTTPClient
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
    }

    private let store: ArchiveStore
    private let client: VendorClient
    private let query: ListingQuery
    private let policy: RetryPolicy
    private let logger: Logger
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
    public private(set) var progress = Progress()
    /// Why the listing stopped early; nil while it runs or once it has finished.
    public private(set) var failure: ListingError?

    public init(store: ArchiveStore, client: VendorClient, query: ListingQuery, policy: RetryPolicy, logger: Logger,
                restart: Bool = false) {
        self.store = store
        self.client = client
        self.query = query
        self.policy = policy
        self.logger = logger
        self.restart = restart
    }

    public func next() async -> [IDLine]? {
        do {
            while true {
                switch stage {
                case .notStarted:
                    let (listing, resumed) = try store.startListing(
                        provider: client.provider, baseURL: client.baseURL.description, query: query.canonical, restart: restart)
                    progress.resumed = resumed
                    progress.pages = listing.pages
                    stage = resumed ? .replaying(listing: listing, after: 0) : .listing(listing: listing, next: nil)
                case .replaying(let listing, let after):
                    let saved = try store.listedIDs(listing.listingID, after: after, limit: 1000)
                    guard let last = saved.last else {
                        stage = .listing(listing: listing, next: listing.nextPage)
                        continue
                    }
                    stage = .replaying(listing: listing, after: last.position)
                    seenIDs.formUnion(saved.map(\.id))
                    progress.resumedIDs += saved.count
                    progress.ids += saved.count
                    return saved.map { .id($0.id, line: $0.position) }
                case .listing(var listing, let next):
                    if listing.pages > 0 && next == nil {  // finished, but not marked so
                        stage = .done
                        continue
                    }
                    let url = try next.map { try ListCallsAPI.nextPage(client.provider, baseURL: client.baseURL, query: query, next: $0) }
                        ?? ListCallsAPI.firstPage(client.provider, baseURL: client.baseURL, query: query)
                    let page = try await fetchPage(url)
                    var fresh: [String] = []
                    for item in page.items where seenIDs.insert(item.id).inserted {
                        if query.admits(time: item.time, status: item.status) {
                            fresh.append(item.id)
                        } else if item.time == nil && (query.since != nil || query.until != nil) {
                            progress.undated += 1
                        }
                    }
                    let nextToken = try checkedNext(page)
                    listing.pages += 1
                    try store.savePage(listing.listingID, ids: fresh, firstPosition: listing.ids + 1, next: nextToken, pages: listing.pages)
                    let first = listing.ids + 1
                    listing.ids += fresh.count
                    progress.pages = listing.pages
                    progress.ids += fresh.count
                    stage = nextToken == nil ? .done : .listing(listing: listing, next: nextToken)
                    if !fresh.isEmpty {
                        return fresh.enumerated().map { .id($1, line: first + $0) }
                    }
                case .done:
                    return nil
                }
            }
        } catch let error as ListingError {
            failure = error
        } catch is CancellationError {
            failure = nil
        } catch let error as StoreError {
            failure = .failed(error.description)
        } catch {
            failure = .failed("\(error)")
        }
        stage = .done
        return nil
    }

    /// The next page token, once it is shown not to lead back to a page already
    /// listed, and pages are not endlessly empty.
    private func checkedNext(_ page: ListedPage) throws(ListingError) -> String? {
        guard let next = page.next else { return nil }
        guard seenPages.insert(next).inserted else {
            throw .vendor("the vendor sent a page token it had sent before (\(next.debugDescription)) after \(progress.pages + 1) pages: its pagination loops, so the listing stopped")
        }
        emptyPagesInARow = page.items.isEmpty ? emptyPagesInARow + 1 : 0
        if emptyPagesInARow >= 3 {
            throw .vendor("the vendor sent 3 empty pages in a row that each named a next page; the listing stopped rather than walk on")
        }
        return next
    }

    /// One page, with retries as for Get Call.
    private func fetchPage(_ url: String) async throws -> ListedPage {
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let problem: String
            var retryAfter: Duration? = nil
            do {
                progress.requests += 1
                let answer = try await client.get(url)
                switch answer.status {
                case 200...299:
                    do {
                        return try ListCallsAPI.parse(client.provider, body: String(decoding: answer.body, as: UTF8.self))
                    } catch {
                        problem = client.redact(error.description)
                    }
                case 401, 403:
                    throw ListingError.authRejected(status: answer.status)
                case 408, 429, 500...599:
                    problem = "HTTP \(answer.status)"
                    retryAfter = RetryPolicy.parseRetryAfter(answer.retryAfter)
                default:
                    throw ListingError.failed("HTTP \(answer.status) for a page of List Calls: \(client.excerpt(answer.body))")
                }
            } catch let error as ListingError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as HTTPClientError {
                if Task.isCancelled { throw CancellationError() }
                problem = CallFetcher.describe(error)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                problem = client.redact("network error: \(error)")
            }
            guard attempt < policy.maxAttempts else {
                throw ListingError.unavailable("page \(progress.pages + 1) of List Calls failed \(attempt) times (last: \(problem)); run the same command again to resume from it")
            }
            let (delay, _) = policy.delay(afterAttempt: attempt, retryAfter: retryAfter)
            logger.debug("List Calls page \(progress.pages + 1): attempt \(attempt) failed (\(problem)); retrying in \(delay)")
            try await Task.sleep(for: delay)
        }
    }
}
