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

/// One page of List Calls.
struct ListedPage: Sendable {
    struct Item: Sendable {
        var id: String
        /// The time the filters apply to (see `ListingQuery`), in microseconds.
        var time: Int64?
        var status: String?
    }

    var items: [Item]
    /// PureTalk: the next page's URL; PuppeteerAI: the next cursor; nil on the last page.
    var next: String?
}

/// The two vendors' List Calls, as `../shared/vendors.md` documents them:
/// PureTalk pages by number and links the next page; PuppeteerAI filters by
/// date and status and pages with an opaque cursor.
enum ListCallsAPI {
    static let pageSize = 100

    /// The first page's URL.
    static func firstPage(_ provider: Provider, baseURL: BaseURL, query: ListingQuery) -> String {
        switch provider {
        case .puretalk:
            var items = [URLQueryItem(name: "page", value: "1"), URLQueryItem(name: "limit", value: String(pageSize))]
            // The vendor filters one status; several are filtered here.
            if query.statuses.count == 1 { items.append(URLQueryItem(name: "status", value: query.statuses[0])) }
            return url(baseURL, items)
        case .puppeteer:
            return puppeteerPage(baseURL: baseURL, query: query, cursor: nil)
        }
    }

    /// The URL that `next` (from the previous page) names. PureTalk's is a full
    /// URL: it is followed only on the API's own origin and base path, since
    /// the request carries the key.
    static func nextPage(_ provider: Provider, baseURL: BaseURL, query: ListingQuery, next: String) throws(ListingError) -> String {
        switch provider {
        case .puretalk:
            guard let url = URLComponents(string: next), baseURL.isSameOrigin(url),
                  url.percentEncodedPath.hasPrefix(baseURL.path + "/")
            else { throw .vendor("the next page's URL \(next.debugDescription) is not on \(baseURL); it was not followed, so the API key stays there") }
            return next
        case .puppeteer:
            return puppeteerPage(baseURL: baseURL, query: query, cursor: next)
        }
    }

    private static func puppeteerPage(baseURL: BaseURL, query: ListingQuery, cursor: String?) -> String {
        var items = [URLQueryItem(name: "limit", value: String(pageSize))]
        if let since = query.since { items.append(URLQueryItem(name: "from_date", value: Timestamp.format(microseconds: since))) }
        if let until = query.until { items.append(URLQueryItem(name: "to_date", value: Timestamp.format(microseconds: until))) }
        items += query.statuses.map { URLQueryItem(name: "status[]", value: $0) }
        if let cursor { items.append(URLQueryItem(name: "cursor", value: cursor)) }
        return url(baseURL, items)
    }

    private static func url(_ baseURL: BaseURL, _ items: [URLQueryItem]) -> String {
        var components = URLComponents()
        components.queryItems = items
        // `+` is a space to many servers; encode it, as URLComponents does not.
        let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return "\(baseURL.description)/calls?\(query)"
    }

    /// Reads one page. Items without an ID are skipped; anything else unusable fails the page.
    static func parse(_ provider: Provider, body: String) throws(ListingError) -> ListedPage {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw .invalidBody("the page is not valid JSON (\(error.description))")
        }
        guard let object = value.object else { throw .invalidBody("the page is not a JSON object") }
        let listKey = provider == .puretalk ? "results" : "calls"
        guard let list = object[listKey]?.array else {
            throw .invalidBody("the page has no \(listKey) array")
        }
        let next: String?
        switch provider {
        case .puretalk: next = object["next"]?.text
        case .puppeteer: next = object["pagination"]?.object?["cursor"]?.text
        }
        let items = list.compactMap { item -> ListedPage.Item? in
            guard let call = item.object else { return nil }
            switch provider {
            case .puretalk:
                guard let id = call["call_id"]?.text, !id.isEmpty else { return nil }
                return .init(id: id, time: call["start_time"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)),
                             status: call["status"]?.text)
            case .puppeteer:
                guard let id = call["id"]?.text, !id.isEmpty else { return nil }
                return .init(id: id, time: call["created_at"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)),
                             status: call["status"]?.text)
            }
        }
        return ListedPage(items: items, next: next?.isEmpty == true ? nil : next)
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
