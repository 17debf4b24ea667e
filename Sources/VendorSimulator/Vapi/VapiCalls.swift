import Foundation

/// Vapi's Get Call bodies, in the shapes of its SDK's `Call`: ISO 8601 times,
/// the conversation in `artifact.messages` (a system prompt, user and bot
/// turns, tool calls and results), `performanceMetrics.turnLatencies` in
/// milliseconds, cost in dollars, and recording URLs on private storage
/// (downloads go through `/call/{id}/mono-recording`).
extension CallFactory {
    /// Sample calls are created in threes at one instant, so List Calls' pages
    /// of 100, walked by `createdAt`, meet ties at their boundaries.
    static func vapiCreated(_ id: String) -> Int? {
        guard id.hasPrefix("vc-call-"), let number = Int(id.dropFirst(8)), number >= 1 else { return nil }
        let leader = SimulatedVendor.vapi.sampleIDs(count: 1, start: number - (number - 1) % 3)[0]
        var rng = SplitMix64("vapi:\(leader)")
        return SimulatedCall(rng: &rng).start - 60
    }

    static func vapi(id: String, call: SimulatedCall, links: RecordingLinks, rng: inout SplitMix64) -> JSONText {
        let status = statusText(.vapi, call.stage)
        let created = vapiCreated(id) ?? call.start - 60
        let started = call.stage != .scheduled
        let ended = started && call.stage != .ongoing
        let start = created + 60
        func iso(_ unix: Int, ms: Int = 0) -> String {
            let base = isoTime(unix, micros: 0, offset: 0)
            return base.dropLast() + String(format: ".%03dZ", ms)
        }
        var clock = 1.2
        var messages: [JSONText] = [
            .object([("role", .string("system")), ("message", .string("You are \(call.assistant.name), a helpful phone agent.")),
                     ("time", .int(start * 1000)), ("secondsFromStart", .int(0))]),
        ]
        for (index, turn) in call.turns.enumerated() {
            let length = 0.4 * Double(turn.text.split(separator: " ").count)
            let time = start * 1000 + Int(clock * 1000)
            messages.append(.object([
                ("role", .string(turn.agent ? "bot" : "user")), ("message", .string(turn.text)),
                ("time", .int(time)), ("endTime", .int(time + Int(length * 1000))),
                ("secondsFromStart", .number(String(format: "%.3f", clock))), ("duration", .number(String(format: "%.1f", length * 1000))),
            ]))
            if index == 1 {
                let toolID = String(format: "call_%012llx", rng.next() & 0xFFFF_FFFF_FFFF)
                messages.append(.object([
                    ("role", .string("tool_calls")), ("message", .string("")),
                    ("toolCalls", .array([.object([("id", .string(toolID)), ("type", .string("function")),
                                                    ("function", .object([("name", .string("lookup_order")),
                                                                          ("arguments", .string(#"{"order_id":"A-1234"}"#))]))])])),
                    ("time", .int(time + 50)), ("secondsFromStart", .number(String(format: "%.3f", clock + 0.05))),
                ]))
                messages.append(.object([
                    ("role", .string("tool_call_result")), ("toolCallId", .string(toolID)), ("name", .string("lookup_order")),
                    ("result", .string(#"{"status":"shipped"}"#)),
                    ("time", .int(time + 400)), ("secondsFromStart", .number(String(format: "%.3f", clock + 0.4))),
                ]))
            }
            clock += length + 0.8
        }
        let turnLatencies: [JSONText] = call.turns.filter(\.agent).map { _ in
            let model = rng.int(300...1500), voice = rng.int(100...500), transcriber = rng.int(80...400), endpointing = rng.int(50...600)
            return .object([("modelLatency", .int(model)), ("voiceLatency", .int(voice)), ("transcriberLatency", .int(transcriber)),
                            ("endpointingLatency", .int(endpointing)), ("turnLatency", .int(model + voice + transcriber + endpointing))])
        }
        // About one assistant in three has no analysis plan: its calls never get an analysis.
        let hasAnalysisPlan = call.assistant.name != "Réception Café"
        let analysis: JSONText = (call.stage == .analysed || call.stage == .failed) && hasAnalysisPlan
            ? .object([
                ("summary", .string("The caller asked about \(call.turns.count % 2 == 0 ? "a refund" : "an appointment").")),
                ("structuredData", .object([("refund_requested", .bool(call.turns.count % 2 == 0)),
                                            ("order_id", .string("A-\(rng.int(1000...9999))"))])),
                ("successEvaluation", .string(call.taskDone ? "true" : "false")),
            ])
            : .null
        let customer = "+1646\(String(format: "%07d", rng.int(0...9_999_999)))"
        let agentNumber = "+1212\(String(format: "%07d", rng.int(0...9_999_999)))"
        let web = rng.chance(0.1)
        let storage = "https://storage.vapi.ai/\(id)"
        let cost = Double(call.duration) * 0.0011
        var artifact: [(String, JSONText)] = [("messages", .array(messages))]
        if ended {
            artifact += [
                ("transcript", .string(call.turns.map { ($0.agent ? "AI: " : "User: ") + $0.text }.joined(separator: "\n"))),
                ("recordingUrl", .string("\(storage)-mono.wav")),
                ("stereoRecordingUrl", .string("\(storage)-stereo.wav")),
                ("recording", .object([("stereoUrl", .string("\(storage)-stereo.wav")),
                                       ("mono", .object([("combinedUrl", .string("\(storage)-mono.wav")),
                                                         ("assistantUrl", .string("\(storage)-assistant.wav")),
                                                         ("customerUrl", .string("\(storage)-customer.wav"))]))])),
                ("performanceMetrics", .object([("turnLatencies", .array(turnLatencies)),
                                                ("numUserInterrupted", .int(rng.int(0...3))), ("numAssistantInterrupted", .int(rng.int(0...2)))])),
            ]
        }
        return .object([
            ("id", .string(id)),
            ("orgId", .string("5d0c41a2-0000-4b51-9a57-2c1e8f0b6d33")),
            ("type", .string(web ? "webCall" : call.outbound ? "outboundPhoneCall" : "inboundPhoneCall")),
            ("status", .string(status)),
            ("endedReason", ended ? .string(call.stage == .failed ? "pipeline-error-openai-llm-failed" : rng.pick(["customer-ended-call", "assistant-ended-call"])) : .null),
            ("createdAt", .string(iso(created))),
            ("updatedAt", .string(iso(ended ? start + call.duration + 5 : start))),
            ("startedAt", started ? .string(iso(start, ms: 120)) : .null),
            ("endedAt", ended ? .string(iso(start + call.duration, ms: 870)) : .null),
            ("cost", ended ? .number(String(format: "%.4f", cost)) : .null),
            ("costs", ended ? .array([.object([("type", .string("model")), ("cost", .number(String(format: "%.4f", cost * 0.6)))]),
                                      .object([("type", .string("voice")), ("cost", .number(String(format: "%.4f", cost * 0.4)))])]) : .null),
            ("assistantId", .string(call.assistant.id)),
            ("assistant", .object([("name", .string(call.assistant.name))])),
            ("phoneNumber", web ? .null : .object([("number", .string(agentNumber))])),
            ("customer", web ? .null : .object([("number", .string(customer))])),
            ("artifact", .object(artifact)),
            ("analysis", analysis),
        ])
    }
}
