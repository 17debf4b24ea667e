import Foundation
import NIOHTTP1

/// PuppeteerAI's List Calls: `from_date`/`to_date`, `status[]`, and an opaque `cursor`.
extension SimulatorCore {
    func puppeteerList(_ query: [URLQueryItem]) -> (Answer, delay: Duration) {
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
