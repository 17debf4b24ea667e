import Foundation

/// PureTalk's List Calls, as `../shared/vendors.md` documents it: `GET
/// {base}/calls?page=&limit=`, one `status` filter and no date filter, the
/// next page linked as a full URL in `next`.
extension PureTalkAdapter {
    public func firstPage(base: BaseURL, query: ListingQuery) -> PageRequest {
        var items = [URLQueryItem(name: "page", value: "1"), URLQueryItem(name: "limit", value: String(ListCalls.pageSize))]
        // The vendor filters one status; several are filtered here.
        if query.statuses.count == 1 { items.append(URLQueryItem(name: "status", value: query.statuses[0])) }
        return PageRequest(url: ListCalls.url(base, path: "/calls", items))
    }

    /// `next` is a full URL: it is followed only on the API's own origin and
    /// base path, since the request carries the key.
    public func nextPage(_ next: String, base: BaseURL, query: ListingQuery) throws(ListingError) -> PageRequest {
        guard let url = URLComponents(string: next), base.isSameOrigin(url), url.percentEncodedPath.hasPrefix(base.path + "/")
        else { throw .vendor("the next page's URL \(next.debugDescription) is not on \(base); it was not followed, so the API key stays there") }
        return PageRequest(url: next)
    }

    /// `{count, next, previous, results: [call]}`; dates filter on `start_time`.
    public func parsePage(_ body: String) throws(ListingError) -> ListedPage {
        try ListCalls.parse(body, listKey: "results", next: { $0["next"]?.text }) { call in
            guard let id = call["call_id"]?.text, !id.isEmpty else { return nil }
            return .init(id: id, time: call["start_time"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)), status: call["status"]?.text)
        }
    }
}
