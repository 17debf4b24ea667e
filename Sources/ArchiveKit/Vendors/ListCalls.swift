import Foundation

/// What a listing asks for: calls in a time range, with some statuses.
///
/// Times are microseconds since the epoch, UTC; `since` is inclusive and
/// `until` exclusive, as the query commands' `--since/--until` are. They apply
/// to PureTalk's `start_time` (filtered here: its List Calls has no date
/// filter) and PuppeteerAI's `created_at` (filtered by the vendor, the only
/// date its List Calls knows, and checked again here).
public struct ListingQuery: Sendable, Equatable {
    public var since: Int64?
    public var until: Int64?
    public var statuses: [String]

    public init(since: Int64? = nil, until: Int64? = nil, statuses: [String] = []) {
        self.since = since
        self.until = until
        self.statuses = statuses
    }

    /// The query as stored in `listings.query`: one listing resumes another only if these match.
    public var canonical: String {
        let since = self.since.map(Timestamp.format(microseconds:)) ?? ""
        let until = self.until.map(Timestamp.format(microseconds:)) ?? ""
        return "since=\(since)&until=\(until)&status=\(Set(statuses).sorted().joined(separator: ","))"
    }

    /// Whether a listed call passes the filters. A call without a usable time
    /// fails any time filter: it cannot be shown to be inside the range.
    func admits(time: Int64?, status: String?) -> Bool {
        if !statuses.isEmpty, !statuses.contains(where: { $0.caseInsensitiveCompare(status ?? "") == .orderedSame }) { return false }
        if since == nil && until == nil { return true }
        guard let time else { return false }
        return since.map { time >= $0 } ?? true && until.map { time < $0 } ?? true
    }
}

/// How to ask for one page of List Calls: a GET of `url`, or a POST of the
/// JSON `body` to it (Retell's `list-calls`).
public struct PageRequest: Sendable, Equatable {
    public var url: String
    public var body: String?

    public init(url: String, body: String? = nil) {
        self.url = url
        self.body = body
    }
}

/// One page of List Calls.
public struct ListedPage: Sendable {
    public struct Item: Sendable {
        public var id: String
        /// The time the filters apply to (see `ListingQuery`), in microseconds.
        public var time: Int64?
        public var status: String?

        public init(id: String, time: Int64?, status: String?) {
            self.id = id
            self.time = time
            self.status = status
        }
    }

    public var items: [Item]
    /// How to ask for the next page, in the vendor's terms (PureTalk: a URL;
    /// PuppeteerAI: a cursor); nil on the last page.
    public var next: String?
}

/// What every vendor's List Calls shares: the page size asked for, query
/// strings, and reading a page. Each vendor's paging is in its own folder.
enum ListCalls {
    static let pageSize = 100

    /// `{base}{path}?{items}`, with `+` encoded: it is a space to many servers, and URLComponents leaves it.
    static func url(_ baseURL: BaseURL, path: String, _ items: [URLQueryItem]) -> String {
        var components = URLComponents()
        components.queryItems = items
        let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return "\(baseURL.description)\(path)?\(query)"
    }

    /// A page's JSON; a page that is not JSON is refused (and retried).
    static func document(_ body: String) throws(ListingError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw .invalidBody("the page is not valid JSON (\(error.description))")
        }
    }

    /// Reads one page: the calls under `listKey`, each made an item by `item`
    /// (nil skips it: a call without an ID), and the way to the next page.
    /// Anything else unusable fails the page.
    static func parse(_ body: String, listKey: String, next: (JSONObject) -> String?,
                      item: (JSONObject) -> ListedPage.Item?) throws(ListingError) -> ListedPage {
        guard let object = try document(body).object else { throw .invalidBody("the page is not a JSON object") }
        guard let list = object[listKey]?.array else {
            throw .invalidBody("the page has no \(listKey) array")
        }
        let nextPage = next(object)
        return ListedPage(items: list.compactMap { $0.object.flatMap(item) }, next: nextPage?.isEmpty == true ? nil : nextPage)
    }
}

/// Why a listing stopped before its last page.
public enum ListingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a List Calls page (retried: a proxy's error page, a cut body).
    case invalidBody(String)
    /// The vendor's pagination cannot be followed safely.
    case vendor(String)
    case authRejected(status: Int)
    /// Every attempt met a 5xx, 429, timeout or network error.
    case unavailable(String)
    case failed(String)

    public var description: String {
        switch self {
        case .invalidBody(let reason), .vendor(let reason), .unavailable(let reason), .failed(let reason): reason
        case .authRejected(let status): "the vendor rejected the API key (HTTP \(status))"
        }
    }
}
