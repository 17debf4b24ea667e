import Foundation

/// Retell's Get Call bodies, in the shapes of its SDK's `CallResponse`: times
/// in Unix milliseconds, a transcript with tool calls and node transitions
/// interleaved, per-call latency series in milliseconds, cost in cents, and
/// signed recording links (mono and multichannel) on the storage host.
extension CallFactory {
    static func retell(id: String, call: SimulatedCall, links: RecordingLinks, rng: inout SplitMix64) -> JSONText {
        let status = statusText(.retell, call.stage)
        let started = call.stage != .scheduled
        let ended = started && call.stage != .ongoing
        let startMs = call.start * 1000  // List Calls shows the same instant
        let endMs = startMs + call.duration * 1000 + rng.int(0...999)
        var clock = 0.5
        let utterances: [JSONText] = call.turns.map { turn in
            let words: [JSONText] = turn.text.split(separator: " ").map { word in
                defer { clock += 0.3 }
                return .object([("word", .string(String(word))), ("start", .number(String(format: "%.3f", clock))),
                                ("end", .number(String(format: "%.3f", clock + 0.25)))])
            }
            clock += 0.6
            return .object([("role", .string(turn.agent ? "agent" : "user")), ("content", .string(turn.text)), ("words", .array(words))])
        }
        // Tool calls and a node transition, interleaved after the first user turn.
        var withTools = utterances
        if utterances.count > 2 {
            let toolID = String(format: "tool_%08llx", rng.next() & 0xFFFF_FFFF)
            withTools.insert(contentsOf: [
                .object([("role", .string("tool_call_invocation")), ("tool_call_id", .string(toolID)),
                         ("name", .string("lookup_order")), ("arguments", .string(#"{"order_id":"A-1234"}"#))]),
                .object([("role", .string("tool_call_result")), ("tool_call_id", .string(toolID)),
                         ("content", .string(#"{"status":"shipped"}"#)), ("successful", .bool(true))]),
                .object([("role", .string("node_transition")), ("former_node_id", .string("start")),
                         ("former_node_name", .string("Greeting")), ("new_node_id", .string("refund")),
                         ("new_node_name", .string("Refund"))]),
            ], at: 2)
        }
        let agentTurns = call.turns.filter(\.agent).count
        func series(_ range: ClosedRange<Int>) -> JSONText {
            let values = (0..<max(1, agentTurns)).map { _ in rng.int(range) }
            let sorted = values.sorted()
            func rank(_ p: Int) -> Int { sorted[max(0, (sorted.count * p + 99) / 100 - 1)] }
            return .object([("p50", .int(rank(50))), ("p90", .int(rank(90))), ("p95", .int(rank(95))), ("p99", .int(rank(99))),
                            ("max", .int(sorted.last!)), ("min", .int(sorted.first!)), ("num", .int(values.count)),
                            ("values", .array(values.map(JSONText.int)))])
        }
        let latency: JSONText = ended && !call.turns.isEmpty
            ? .object([("e2e", series(600...2400)), ("asr", series(80...400)), ("llm", series(300...1500)),
                       ("llm_websocket_network_rtt", series(20...90)), ("tts", series(100...500))])
            : .null
        let analysis: JSONText = call.stage == .analysed || call.stage == .failed
            ? .object([
                ("call_summary", .string("The caller asked about \(call.turns.count % 2 == 0 ? "a refund" : "an appointment").")),
                ("in_voicemail", .bool(false)),
                ("user_sentiment", .string(call.sentiment.capitalized)),
                ("call_successful", .bool(call.taskDone)),
                ("custom_analysis_data", .object([
                    ("refund_requested", .bool(call.turns.count % 2 == 0)),
                    ("order_id", .string("A-\(rng.int(1000...9999))")),
                ])),
            ])
            : .null
        let cents = Double(call.duration) * 0.115
        let agent = "+1415\(String(format: "%07d", rng.int(0...9_999_999)))"
        let customer = "+1415\(String(format: "%07d", rng.int(0...9_999_999)))"
        return .object([
            ("call_id", .string(id)),
            ("call_type", .string("phone_call")),
            ("agent_id", .string("agent_" + call.assistant.id.replacingOccurrences(of: "-", with: "").prefix(24))),
            ("agent_name", .string(call.assistant.name)),
            ("agent_version", .int(rng.int(1...12))),
            ("call_status", .string(status)),
            ("direction", .string(call.outbound ? "outbound" : "inbound")),
            ("from_number", .string(call.outbound ? agent : customer)),
            ("to_number", .string(call.outbound ? customer : agent)),
            ("metadata", .object([("crm_id", .string("c-\(rng.int(100...999))"))])),
            ("retell_llm_dynamic_variables", .object([("customer_name", .string(rng.pick(["Ada", "Zoë", "Łukasz"])))])),
            ("start_timestamp", started ? .int(startMs) : .null),
            ("end_timestamp", ended ? .int(endMs) : .null),
            ("duration_ms", ended ? .int(endMs - startMs) : .null),
            ("disconnection_reason", ended ? .string(rng.pick(["user_hangup", "agent_hangup", "call_transfer", "inactivity"])) : .null),
            ("transcript", .string(call.turns.map { ($0.agent ? "Agent: " : "User: ") + $0.text }.joined(separator: "\n"))),
            ("transcript_object", .array(utterances)),
            ("transcript_with_tool_calls", .array(withTools)),
            ("recording_url", ended ? .string(links.signedStorageURL(.retell, id: id)) : .null),
            ("recording_multi_channel_url", ended ? .string(links.signedStorageURL(.retell, id: id + "-multichannel")) : .null),
            ("public_log_url", ended ? .string("https://dxc03zgurdly9.cloudfront.net/\(id)/public.log") : .null),
            ("latency", latency),
            ("call_cost", ended ? .object([
                ("product_costs", .array([
                    .object([("product", .string("elevenlabs_tts")), ("unit_price", .number("0.1167")), ("cost", .number(String(format: "%.2f", cents * 0.6)))]),
                    .object([("product", .string("gpt_4o_mini")), ("unit_price", .number("0.0100")), ("cost", .number(String(format: "%.2f", cents * 0.4)))]),
                ])),
                ("total_duration_seconds", .int(call.duration)),
                ("total_duration_unit_price", .number("0.115")),
                ("combined_cost", .number(String(format: "%.2f", cents))),
            ]) : .null),
            ("call_analysis", analysis),
            ("opt_in_signed_url", .bool(true)),
        ])
    }
}
