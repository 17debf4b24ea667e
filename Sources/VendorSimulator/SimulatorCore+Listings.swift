import Foundation
import NIOHTTP1

/// One call as List Calls sees it.
struct ListedCall: Sendable {
    var id: String
    var start: Int
    var created: Int
    var status: String
}

/// List Calls over the simulator's call set (the sample IDs 1…`listedCalls`).
///
/// PureTalk: `?page=&limit=&status=`, `{count, next, previous, results: [call]}`
/// in ID order, which is not time order, as nothing documents one. PuppeteerAI:
/// `?from_date=&to_date=&status[]=&cursor=&limit=` (1–100),
/// `{calls: [summary], pagination: {cursor}}`, newest first.
extension SimulatorCore {
    func listAnswer(_ vendor: SimulatedVendor, query: [URLQueryItem]) -> (Answer, delay: Duration) {
        state.withLock { $0.listRequests += 1 }
        switch vendor {
        case .puretalk: return pureTalkList(query)
        case .puppeteer: return puppeteerList(query)
        }
    }

    private func listable(_ vendor: SimulatedVendor) -> [ListedCall] {
        if let cached = state.withLock({ $0.listable[vendor] }) { return cached }
        var calls = vendor.sampleIDs(count: configuration.listedCalls).map { id in
            let summary = CallFactory.summary(vendor, id: id)
            return ListedCall(id: id, start: summary.start, created: summary.created,
                              status: CallFactory.statusText(vendor, summary.stage))
        }
        if vendor == .puppeteer { calls.sort { ($0.created, $0.id) > ($1.created, $1.id) } }
        state.withLock { $0.listable[vendor] = calls }
        return calls
    }

    private func listFault(_ vendor: SimulatedVendor, page: String) -> Fault? {
        let key = "list:\(vendor.rawValue):\(page)"
        return state.withLock { nextFault(key: key, scriptKey: key, state: &$0) }
    }

    private func pureTalkList(_ query: [URLQueryItem]) -> (Answer, delay: Duration) {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let page = Int(value("page") ?? "1"), page >= 1, let limit = Int(value("limit") ?? "20"), limit >= 1 else {
            return (Self.error(.puretalk, .notFound, "Invalid page."), configuration.latency)
        }
        if let fault = listFault(.puretalk, page: String(page)) { return faultAnswer(fault, vendor: .puretalk, body: { nil }) }
        let size = min(limit, 100)
        let status = value("status")
        let calls = listable(.puretalk).filter { status == nil || $0.status == status }
        let first = (page - 1) * size
        guard first < calls.count || page == 1 else { return (Self.error(.puretalk, .notFound, "Invalid page."), configuration.latency) }
        let pageCalls = calls[min(first, calls.count)..<min(first + size, calls.count)]
        let base = links().pureTalkAPIBase + "/calls"
        func url(_ page: Int) -> JSONText {
            .string("\(base)?page=\(page)&limit=\(size)" + (status.map { "&status=\($0)" } ?? ""))
        }
        var next: JSONText = first + size < calls.count ? url(page + 1) : .null
        if page == configuration.listingLoopAfterPage { next = url(max(1, page - 1)) }
        let links = links()
        let body = JSONText.object([
            ("count", .int(calls.count)),
            ("next", next),
            ("previous", page > 1 ? url(page - 1) : .null),
            ("results", .array(pageCalls.compactMap { CallFactory.callObject(.puretalk, id: $0.id, links: links) })),
        ])
        return (Self.json(.ok, body.text), configuration.latency)
    }

    private func puppeteerList(_ query: [URLQueryItem]) -> (Answer, delay: Duration) {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let limit = Int(value("limit") ?? "20"), (1...100).contains(limit) else {
            return (Self.json(.unprocessableEntity, #"{"detail": [{"loc": ["query", "limit"], "msg": "ensure this value is between 1 and 100", "type": "value_error"}]}"#),
                    configuration.latency)
        }
        let offset: Int
        if let cursor = value("cursor") {
            guard let decoded = Self.offset(fromCursor: cursor) else {
                return (Self.json(.unprocessableEntity, #"{"detail": "Invalid cursor"}"#), configuration.latency)
            }
            offset = decoded
        } else {
            offset = 0
        }
        let fromText = value("from_date"), toText = value("to_date")
        let from = fromText.flatMap(Self.parseDate), to = toText.flatMap(Self.parseDate)
        if (fromText != nil && from == nil) || (toText != nil && to == nil) {
            return (Self.json(.unprocessableEntity, #"{"detail": [{"loc": ["query", "from_date"], "msg": "invalid datetime format", "type": "value_error.datetime"}]}"#),
                    configuration.latency)
        }
        if let fault = listFault(.puppeteer, page: String(offset)) { return faultAnswer(fault, vendor: .puppeteer, body: { nil }) }
        let statuses = Set(query.filter { $0.name == "status[]" || $0.name == "status" }.compactMap(\.value))
        let calls = listable(.puppeteer).filter { call in
            (statuses.isEmpty || statuses.contains(call.status))
                && from.map { call.created >= $0 } ?? true && to.map { call.created <= $0 } ?? true
        }
        let pageCalls = calls[min(offset, calls.count)..<min(offset + limit, calls.count)]
        var next: JSONText = offset + limit < calls.count ? .string(Self.cursor(offset: offset + limit)) : .null
        if offset / limit + 1 == configuration.listingLoopAfterPage { next = .string(Self.cursor(offset: offset)) }
        let body = JSONText.object([
            ("calls", .array(pageCalls.map { call -> JSONText in
                JSONText.object([
                    ("id", .string(call.id)),
                    ("status", .string(call.status)),
                    ("created_at", .string(CallFactory.isoTime(call.created, micros: 0, offset: 0))),
                    ("start_timestamp", call.status == "scheduled" ? .null : .int(call.start)),
                ])
            })),
            ("pagination", .object([("cursor", next)])),
        ])
        return (Self.json(.ok, body.text), configuration.latency)
    }

    /// An opaque cursor, as the vendor's are.
    static func cursor(offset: Int) -> String {
        Data("offset:\(offset)".utf8).base64EncodedString()
    }

    static func offset(fromCursor cursor: String) -> Int? {
        guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("offset:"), let offset = Int(text.dropFirst(7)), offset >= 0 else { return nil }
        return offset
    }

    /// ISO 8601 with or without a time, as FastAPI accepts it; Unix seconds.
    static func parseDate(_ text: String) -> Int? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        for formatter in [full, fractional, day] {
            if let date = formatter.date(from: text) { return Int(date.timeIntervalSince1970) }
        }
        return nil
    }
}
