import Foundation

/// Vapi's List Calls: `GET {base}/call?limit=&createdAtGe=&createdAtLt=`,
/// answering a bare JSON array, newest first, with no cursor. Pages are walked
/// by time: the next page asks for calls created at or before the oldest
/// `createdAt` seen (`createdAtLe`, not `Lt`, so calls sharing that instant
/// across the boundary are not lost); the listing drops the ones it already
/// listed. A full page whose calls all share one `createdAt` would ask for
/// itself again, which the listing stops as a loop.
extension VapiAdapter {
    public func firstPage(base: BaseURL, query: ListingQuery) -> PageRequest {
        var items = window(query)
        if let until = query.until { items.append(URLQueryItem(name: "createdAtLt", value: Timestamp.format(microseconds: until))) }
        return PageRequest(url: ListCalls.url(base, path: "/call", items))
    }

    /// `next` is the oldest `createdAt` of the previous page, as Vapi sent it.
    public func nextPage(_ next: String, base: BaseURL, query: ListingQuery) throws(ListingError) -> PageRequest {
        PageRequest(url: ListCalls.url(base, path: "/call", window(query) + [URLQueryItem(name: "createdAtLe", value: next)]))
    }

    public func parsePage(_ body: String) throws(ListingError) -> ListedPage {
        guard let list = try ListCalls.document(body).array else { throw .invalidBody("the page is not a JSON array of calls") }
        let calls = list.compactMap(\.object)
        let items: [ListedPage.Item] = calls.compactMap { call in
            guard let id = call["id"]?.text, !id.isEmpty else { return nil }
            return .init(id: id, time: call["createdAt"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)), status: call["status"]?.text)
        }
        // A short page is the last; otherwise go on from the oldest instant on it.
        let oldest = calls.compactMap { call -> (Int64, String)? in
            guard let text = call["createdAt"]?.text, let time = Timestamp.microseconds(fromISO8601: text) else { return nil }
            return (time, text)
        }.min { $0.0 < $1.0 }
        return ListedPage(items: items, next: list.count < ListCalls.pageSize ? nil : oldest?.1)
    }

    private func window(_ query: ListingQuery) -> [URLQueryItem] {
        var items = [URLQueryItem(name: "limit", value: String(ListCalls.pageSize))]
        if let since = query.since { items.append(URLQueryItem(name: "createdAtGe", value: Timestamp.format(microseconds: since))) }
        return items
    }
}
