import Foundation

/// PureTalk's Get Call bodies, as its reference page shows them: the call in
/// a `{msg, err, results}` envelope, ISO 8601 times with the caller's offset,
/// the duration in seconds and a `post_analysis_data` list.
extension CallFactory {
    static func wrapped(_ call: JSONText) -> JSONText {
        .object([("msg", .string("Success")), ("err", .bool(false)), ("results", call)])
    }

    static func pureTalk(id: String, call: SimulatedCall, links: RecordingLinks, rng: inout SplitMix64) -> JSONText {
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
