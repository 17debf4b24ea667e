import Foundation

/// PuppeteerAI's Get Call bodies: a flat call object with Unix-second times,
/// and a transcript and analysis in Retell's shapes.
extension CallFactory {
    static func puppeteer(id: String, call: SimulatedCall, links: RecordingLinks, rng: inout SplitMix64) -> JSONText {
        let status = statusText(.puppeteer, call.stage)
        let started = call.stage != .scheduled
        let ended = started && call.stage != .ongoing
        let transcript: [JSONText] = call.turns.map { turn in
            var clock = Double(rng.int(0...90))
            let words: [JSONText] = turn.text.split(separator: " ").prefix(4).map { word in
                defer { clock += 0.25 }
                return .object([("word", .string(String(word))), ("start", .number(String(clock))), ("end", .number(String(clock + 0.2)))])
            }
            return .object([("role", .string(turn.agent ? "agent" : "user")), ("content", .string(turn.text)), ("words", .array(words))])
        }
        let summaryKey = rng.chance(0.5) ? "summary" : "call_summary"
        let analysis: JSONText = call.stage == .analysed || call.stage == .failed
            ? .object([
                (summaryKey, .string("The caller asked about \(call.turns.count % 2 == 0 ? "a refund" : "an appointment").")),
                ("user_sentiment", .string(call.sentiment.capitalized)),
                ("call_successful", .bool(call.taskDone)),
                ("in_voicemail", .bool(false)),
                ("custom_analysis_data", .object([
                    ("refund_requested", .bool(call.turns.count % 2 == 0)),
                    ("order_id", .string("A-\(rng.int(1000...9999))")),
                    ("satisfaction", .int(rng.int(1...5))),
                ])),
            ])
            : .null
        return .object([
            ("id", .string(id)),
            ("thread_id", .string("thr_" + String(format: "%08llx", rng.next() & 0xFFFF_FFFF))),
            ("call_type", .string(rng.chance(0.8) ? "phone_call" : "web_call")),
            ("status", .string(status)),
            ("created_at", .string(isoTime(call.start - 60, micros: 0, offset: 0))),
            ("conversation_id", started ? .int(rng.int(10_000...99_999)) : .null),
            ("direction", .string(call.outbound ? "outbound" : "inbound")),
            ("from_number", .string("+4420\(String(format: "%08d", rng.int(0...99_999_999)))")),
            ("to_number", .string("+4420\(String(format: "%08d", rng.int(0...99_999_999)))")),
            ("scheduled_for", call.stage == .scheduled ? .string(isoTime(call.start, micros: 0, offset: 0)) : .null),
            ("start_timestamp", started ? .int(call.start) : .null),
            ("end_timestamp", ended ? .int(call.start + call.duration) : .null),
            ("duration_ms", ended ? .int(call.duration * 1000) : .null),
            ("disconnection_reason", ended ? .string(rng.pick(["user_hangup", "agent_hangup", "dial_no_answer"])) : .null),
            ("transcript", .string(call.turns.map { ($0.agent ? "Agent: " : "User: ") + $0.text }.joined(separator: "\n"))),
            ("transcript_object", call.turns.isEmpty ? .null : .array(transcript)),
            ("recording_url", ended ? .string(links.signedStorageURL(.puppeteer, id: id)) : .null),
            ("call_analysis", analysis),
            ("call_cost", ended ? .object([("combined_cost", .number(String(format: "%.2f", Double(call.duration) * 0.12))),
                                           ("total_duration_seconds", .int(call.duration))]) : .null),
        ])
    }
}
