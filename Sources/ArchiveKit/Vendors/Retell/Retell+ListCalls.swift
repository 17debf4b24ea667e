import Foundation

/// Retell's List Calls: `POST {base}/v3/list-calls` with a JSON body (`limit`,
/// `sort_order`, `filter_criteria`, `pagination_key`), answering `{items,
/// has_more, pagination_key}`. The items carry no transcript or recording, so
/// every call is fetched with Get Call. Dates filter on `start_timestamp`, in
/// milliseconds; the vendor's filter is checked again here.
extension RetellAdapter {
    public func firstPage(base: BaseURL, query: ListingQuery) -> PageRequest {
        page(base: base, query: query, key: nil)
    }

    /// `next` is the vendor's `pagination_key`, sent back in the same body.
    public func nextPage(_ next: String, base: BaseURL, query: ListingQuery) throws(ListingError) -> PageRequest {
        page(base: base, query: query, key: next)
    }

    public func parsePage(_ body: String) throws(ListingError) -> ListedPage {
        try ListCalls.parse(body, listKey: "items", next: { $0["has_more"]?.bool == true ? $0["pagination_key"]?.text : nil }) { call in
            guard let id = call["call_id"]?.text, !id.isEmpty else { return nil }
            let time = call["start_timestamp"]?.double.flatMap { $0.isFinite && abs($0) < 9.0e15 ? Int64($0) * 1000 : nil }
            return .init(id: id, time: time, status: call["call_status"]?.text)
        }
    }

    private func page(base: BaseURL, query: ListingQuery, key: String?) -> PageRequest {
        var filter: [(key: String, value: JSONValue)] = []
        var range: [(key: String, value: JSONValue)] = []
        // Milliseconds, widened to whole ones; `ListingQuery.admits` keeps the exact range.
        if let since = query.since { range.append(("lower_threshold", .number(String(since.floorDivided(by: 1000))))) }
        if let until = query.until { range.append(("upper_threshold", .number(String(until.ceilDivided(by: 1000))))) }
        if !range.isEmpty { filter.append(("start_timestamp", .object(JSONObject(range)))) }
        if !query.statuses.isEmpty { filter.append(("call_status", .array(query.statuses.map(JSONValue.string)))) }
        var members: [(key: String, value: JSONValue)] = [
            ("limit", .number(String(ListCalls.pageSize))), ("sort_order", .string("descending")),
        ]
        if !filter.isEmpty { members.append(("filter_criteria", .object(JSONObject(filter)))) }
        if let key { members.append(("pagination_key", .string(key))) }
        return PageRequest(url: base.description + "/v3/list-calls", body: JSONValue.object(JSONObject(members)).jsonText)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 { self >= 0 ? self / divisor : -((-self + divisor - 1) / divisor) }
    func ceilDivided(by divisor: Int64) -> Int64 { -((-self).floorDivided(by: divisor)) }
}
