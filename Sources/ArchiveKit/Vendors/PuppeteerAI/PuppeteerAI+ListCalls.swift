import Foundation

/// PuppeteerAI's List Calls, as `../shared/vendors.md` documents it: `GET
/// {base}/calls` filtered by `from_date`/`to_date` (created time) and
/// `status[]`, paged with an opaque `cursor`. Its answers are checked again here.
extension PuppeteerAdapter {
    public func firstPage(base: BaseURL, query: ListingQuery) -> PageRequest {
        page(base: base, query: query, cursor: nil)
    }

    public func nextPage(_ next: String, base: BaseURL, query: ListingQuery) throws(ListingError) -> PageRequest {
        page(base: base, query: query, cursor: next)
    }

    /// `{calls: [call], pagination: {cursor}}`; dates filter on `created_at`.
    public func parsePage(_ body: String) throws(ListingError) -> ListedPage {
        try ListCalls.parse(body, listKey: "calls", next: { $0["pagination"]?.object?["cursor"]?.text }) { call in
            guard let id = call["id"]?.text, !id.isEmpty else { return nil }
            return .init(id: id, time: call["created_at"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)), status: call["status"]?.text)
        }
    }

    private func page(base: BaseURL, query: ListingQuery, cursor: String?) -> PageRequest {
        var items = [URLQueryItem(name: "limit", value: String(ListCalls.pageSize))]
        if let since = query.since { items.append(URLQueryItem(name: "from_date", value: Timestamp.format(microseconds: since))) }
        if let until = query.until { items.append(URLQueryItem(name: "to_date", value: Timestamp.format(microseconds: until))) }
        items += query.statuses.map { URLQueryItem(name: "status[]", value: $0) }
        if let cursor { items.append(URLQueryItem(name: "cursor", value: cursor)) }
        return PageRequest(url: ListCalls.url(base, path: "/calls", items))
    }
}
