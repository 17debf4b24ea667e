import Foundation

/// Generates the simulator's calls: deterministic per (vendor, ID), realistic in
/// shape (about 20 turns, the agent's half with latency, a few analysis
/// fields), and varied in the ways that matter to an archive: non-final calls,
/// missing analysis, unicode, tool calls.
public enum CallFactory {
    /// The Get Call body the vendor would send for `id`, or nil when it has no such call.
    /// `links` says where its recording link points (a running simulator points them at itself).
    public static func body(_ vendor: SimulatedVendor, id: String, links: RecordingLinks = .production) -> String? {
        callObject(vendor, id: id, links: links).map { vendor == .puretalk ? wrapped($0).text : $0.text }
    }

    /// The call as PureTalk's List Calls returns it: the Get Call `results` object.
    static func callObject(_ vendor: SimulatedVendor, id: String, links: RecordingLinks) -> JSONText? {
        guard !id.contains(SimulatedVendor.notFoundMarker) else { return nil }
        var rng = SplitMix64("\(vendor.rawValue):\(id)")
        let call = SimulatedCall(rng: &rng)
        switch vendor {
        case .puretalk: return pureTalk(id: id, call: call, links: links, rng: &rng)
        case .puppeteer: return puppeteer(id: id, call: call, links: links, rng: &rng)
        }
    }

    /// The facts List Calls filters on, without building the whole body.
    static func summary(_ vendor: SimulatedVendor, id: String) -> (start: Int, created: Int, ended: Bool, stage: SimulatedCall.Stage) {
        var rng = SplitMix64("\(vendor.rawValue):\(id)")
        let call = SimulatedCall(rng: &rng)
        return (call.start, call.start - 60, call.stage != .ongoing && call.stage != .scheduled, call.stage)
    }

    /// Whether the call has a recording yet: only calls that have ended do.
    public static func hasRecording(_ vendor: SimulatedVendor, id: String) -> Bool {
        !id.contains(SimulatedVendor.notFoundMarker) && summary(vendor, id: id).ended
    }

    /// The `status` each vendor reports for a call at this stage.
    static func statusText(_ vendor: SimulatedVendor, _ stage: SimulatedCall.Stage) -> String {
        switch (vendor, stage) {
        case (.puretalk, .ongoing), (.puretalk, .scheduled): "in-progress"
        case (.puretalk, .failed): "failed"
        case (.puretalk, _): "completed"
        case (.puppeteer, .scheduled): "scheduled"
        case (.puppeteer, .ongoing): "ongoing"
        case (.puppeteer, .failed): "error"
        case (.puppeteer, _): "ended"
        }
    }

    private static func wrapped(_ call: JSONText) -> JSONText {
        .object([("msg", .string("Success")), ("err", .bool(false)), ("results", call)])
    }

    /// The facts both vendors' bodies are built from.
    struct SimulatedCall {
        enum Stage { case scheduled, ongoing, endedAwaitingAnalysis, analysed, failed }
        var stage: Stage
        var start: Int  // Unix seconds
        var duration: Int  // seconds
        var outbound: Bool
        var turns: [(agent: Bool, text: String)]
        var assistant: (id: String, name: String)
        var sentiment: String
        var taskDone: Bool

        init(rng: inout SplitMix64) {
            let roll = rng.int(0...99)
            stage = roll < 3 ? .ongoing : roll < 5 ? .scheduled : roll < 8 ? .endedAwaitingAnalysis : roll < 12 ? .failed : .analysed
            start = 1_735_689_600 + rng.int(0...(300 * 86_400))  // during 2025
            duration = rng.int(20...600)
            outbound = rng.chance(0.5)
            assistant = rng.pick(CallFactory.assistants)
            sentiment = rng.pick(["positive", "neutral", "negative"])
            taskDone = rng.chance(0.7)
            let count = stage == .scheduled ? 0 : rng.int(5...35)
            turns = (0..<count).map { i in
                (agent: i % 2 == 0, text: i % 2 == 0 ? rng.pick(CallFactory.agentLines) : rng.pick(CallFactory.userLines))
            }
        }
    }

    static let assistants = [
        ("217b769d-befe-47a2-83bc-b014c2e19ea5", "Appointment Setter"),
        ("5d0c41a2-7f3e-4b51-9a57-2c1e8f0b6d33", "Refund Desk"),
        ("9a8e7f61-3b2c-4d1e-8f70-6a5b4c3d2e1f", "Réception Café"),
    ]
    static let agentLines = [
        "Hello, thanks for calling. How can I help you today?",
        "I can help with that. Could you give me your order number?",
        "I've started the refund; you'll see it in 3 to 5 business days.",
        "Your appointment is booked for Tuesday at 10 o'clock.",
        "Je peux vous aider avec ça — un instant, s'il vous plaît.",
        "Is there anything else I can do for you?",
    ]
    static let userLines = [
        "Hi, I'd like a refund for my last order.",
        "The order number is A-1234.",
        "Can I move my appointment to next week?",
        "That's great, thank you! 👍",
        "No, the \"premium\" plan was never activated.",
        "日本語でも大丈夫ですか？",
    ]

    private static func pureTalk(id: String, call: SimulatedCall, links: RecordingLinks, rng: inout SplitMix64) -> JSONText {
        let status = statusText(.puretalk, call.stage)
        let offset = rng.pick([-4 * 3600, 0, 5 * 3600 + 1800])
        let micros = rng.int(0...999_999)
        let ended = call.stage != .ongoing && call.stage != .scheduled
        let transcript: [JSONText] = call.turns.enumerated().map { index, turn in
            var members: [(String, JSONText)] = [
                ("role", .string(turn.agent ? "agent" : "user")),
                ("content", .string(turn.text)),
            ]
            let toolCall = turn.agent && index % 6 == 2
            members.append(("function_name", toolCall ? .string("lookup_order") : .null))
            members.append(("interrupted", .bool(!turn.agent && rng.chance(0.1))))
            members.append(("function_args", toolCall ? .string("{\"order_id\": \"A-\(1000 + index)\"}") : .null))
            members.append(("tool_calls", toolCall
                ? .array([.object([("id", .string("tc_\(index)")), ("type", .string("function")),
                                   ("function", .object([("name", .string("lookup_order"))]))])])
                : .array([])))
            if turn.agent {
                let eou = rng.int(80...400), llm = rng.int(200...2500), tts = rng.int(90...600)
                members.append(("turn_latency", .object([
                    ("latency", .seconds(milliseconds: eou + llm + tts)),
                    ("eou_delay", .seconds(milliseconds: eou)),
                    ("llm_latency", .seconds(milliseconds: llm)),
                    ("tts_latency", .seconds(milliseconds: tts)),
                ])))
            }
            return .object(members)
        }
        let analysis: JSONText = call.stage == .analysed || call.stage == .failed
            ? .object([
                ("summary", .string("The caller asked about \(call.turns.count % 2 == 0 ? "a refund" : "an appointment").")),
                ("call_completion_summary", .string("The call reached a natural end.")),
                ("call_completion", .string(call.taskDone ? "complete" : "partial")),
                ("task_completion_summary", .string(call.taskDone ? "The task was done." : "The task was not done.")),
                ("task_completion", .string(call.taskDone ? "complete" : "incomplete")),
                ("post_analysis_data", .array([
                    .object([("name", .string("refund_requested")), ("value", .string(call.turns.count % 2 == 0 ? "yes" : "no"))]),
                    .object([("name", .string("order_total")), ("value", .number("\(rng.int(5...500)).\(rng.int(10...99))"))]),
                    .object([("name", .string("callback_needed")), ("value", .bool(rng.chance(0.3)))]),
                    .object([("name", .string("notes")), ("value", .null)]),
                ])),
            ])
            : .null
        return .object([
                ("call_analysis", analysis),
                ("protocol", .string(rng.chance(0.8) ? "phone" : "web")),
                ("call_id", .string(id)),
                ("from_number", .string("+1555\(String(format: "%07d", rng.int(0...9_999_999)))")),
                ("to_number", .string("+1555\(String(format: "%07d", rng.int(0...9_999_999)))")),
                ("assistant_id", .string(call.assistant.id)),
                ("assistant_name", .string(call.assistant.name)),
                ("voice_id", .string("Puretalktts-e0c5f2f95332")),
                ("voice_name", .string("Gabrielle")),
                ("start_time", .string(isoTime(call.start, micros: micros, offset: offset))),
                ("end_time", ended ? .string(isoTime(call.start + call.duration, micros: micros, offset: offset)) : .null),
                ("call_duration_seconds", ended ? .int(call.duration) : .null),
                ("call_type", .string(call.outbound ? "outgoing" : "incoming")),
                ("transcript", .string(call.turns.map { ($0.agent ? "Agent: " : "User: ") + $0.text }.joined(separator: "\n"))),
                ("transcript_object", .array(transcript)),
                ("status", .string(status)),
                ("provider_call_id", .string("CA" + String(format: "%016llx", rng.next()))),
                ("metadata", rng.chance(0.5) ? .string("crm=hubspot") : .object([("crm", .string("hubspot")), ("priority", .int(2))])),
                ("variables", .array([.string("first_name=Ana"), .string("plan=premium")])),
                ("answered_by", .string(rng.pick(["human", "human", "human", "voicemail"]))),
                ("call_recording_enabled", .bool(true)),
                ("call_recording_url", .string(links.pureTalkRecording(id))),
                ("campaign_id", rng.chance(0.5) ? .string("spring-campaign") : .null),
                ("sentiment", ended ? .string(call.sentiment) : .null),
                ("is_billed", .bool(ended)),
                ("call_cost", ended ? .number(String(format: "%.4f", Double(call.duration) * 0.0012)) : .null),
        ])
    }

    private static func puppeteer(id: String, call: SimulatedCall, links: RecordingLinks, rng: inout SplitMix64) -> JSONText {
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

    /// ISO 8601 local time with offset and microseconds, as PureTalk writes it:
    /// `2025-05-19T10:15:22.230876-04:00`.
    static func isoTime(_ unix: Int, micros: Int, offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                        from: Date(timeIntervalSince1970: TimeInterval(unix)))
        let sign = offset < 0 ? "-" : "+"
        let zone = offset == 0 && micros == 0
            ? "Z" : sign + String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) % 3600 / 60)
        let fraction = micros == 0 ? "" : String(format: ".%06d", micros)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
            + fraction + zone
    }
}
