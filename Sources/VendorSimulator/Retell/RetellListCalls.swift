import Foundation
import NIOHTTP1

/// Retell's List Calls: `POST /v3/list-calls` with `{limit, sort_order,
/// pagination_key, filter_criteria: {start_timestamp: {lower_threshold,
/// upper_threshold}, call_status: [...]}}`, answering `{items, has_more,
/// pagination_key}`. The key is the last call ID of the page, exclusive, as
/// the SDK describes it. Items carry no transcript or recording.
extension SimulatorCore {
    func retellList(_ body: [UInt8]) -> (Answer, delay: Duration) {
        let request = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        let limit = request["limit"] as? Int ?? 50
        guard (1...1000).contains(limit) else {
            return (Self.error(.retell, .badRequest, "limit must be between 1 and 1000"), configuration.latency)
        }
        let key = request["pagination_key"] as? String
        let filter = request["filter_criteria"] as? [String: Any] ?? [:]
        let range = filter["start_timestamp"] as? [String: Any] ?? [:]
        let lower = (range["lower_threshold"] as? NSNumber)?.int64Value
        let upper = (range["upper_threshold"] as? NSNumber)?.int64Value
        let statuses = Set(filter["call_status"] as? [String] ?? [])
        var calls = listable(.retell).filter { call in
            let ms = Int64(call.start) * 1000
            return (statuses.isEmpty || statuses.contains(call.status)) && lower.map { ms >= $0 } ?? true && upper.map { ms <= $0 } ?? true
        }
        if request["sort_order"] as? String == "ascending" { calls.reverse() }
        var offset = 0
        if let key {
            guard let index = calls.firstIndex(where: { $0.id == key }) else {
                return (Self.error(.retell, .badRequest, "Invalid pagination_key"), configuration.latency)
            }
            offset = index + 1
        }
        // Scripted and counted by page number: `list:retell:3` is the third page of 100.
        if let fault = listFault(.retell, page: String(offset / limit + 1)) { return faultAnswer(fault, vendor: .retell, body: { nil }) }
        let page = calls[min(offset, calls.count)..<min(offset + limit, calls.count)]
        let hasMore = offset + limit < calls.count
        var nextKey = hasMore ? page.last?.id : nil
        if offset / limit + 1 == configuration.listingLoopAfterPage, let key { nextKey = key }
        let items: [JSONText] = page.map { call in
            .object([
                ("call_id", .string(call.id)),
                ("call_type", .string("phone_call")),
                ("call_status", .string(call.status)),
                ("start_timestamp", call.status == "registered" ? .null : .int(call.start * 1000)),
            ])
        }
        let answer = JSONText.object([("items", .array(items)), ("has_more", .bool(nextKey != nil)),
                                      ("pagination_key", nextKey.map(JSONText.string) ?? .null)])
        return (Self.json(.ok, answer.text), configuration.latency)
    }
}
