/// PureTalk's Get Call: `{"msg", "err", "results": {call}}`, times as ISO 8601
/// with offsets, duration in seconds, analysis with a `post_analysis_data` list.
public struct PureTalkAdapter: VendorAdapter {
    public var provider: Provider { .puretalk }
    public var displayName: String { "PureTalk" }
    public var defaultBaseURL: String { "https://api.puretalk.ai/api" }
    public var apiKeyVariable: String { "PURETALK_API_KEY" }

    public init() {}

    /// The key in `X-API-KEY`.
    public func authorization(apiKey: String) -> (name: String, value: String) { ("X-API-KEY", apiKey) }

    /// `GET {base}/calls/{call_id}`.
    public func callURL(_ id: String, base: BaseURL) -> String {
        base.url("calls", segment: id)
    }

    public func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall {
        let envelope = try parseObject(body)
        if envelope["err"]?.bool == true {
            throw .notACall("PureTalk reported an error: \(envelope["msg"]?.text ?? "no message")")
        }
        try Self.contract.check(.object(envelope))
        guard let call = envelope["results"]?.object else {
            throw .notACall("response has no \"results\" call object")
        }
        let named = try checkID(call["call_id"], requestedID: requestedID)

        var out = NormalizedCall(provider: .puretalk, callID: requestedID, rawJSON: body)
        out.bodyNamesCall = named
        out.status = call["status"]?.text
        out.direction = call["call_type"]?.text.map(Self.direction)
        out.callType = call["protocol"]?.text
        out.fromNumber = call["from_number"]?.text
        out.toNumber = call["to_number"]?.text
        out.startedAt = call["start_time"]?.text.flatMap(Timestamp.fromISO8601)
        out.endedAt = call["end_time"]?.text.flatMap(Timestamp.fromISO8601)
        out.createdAt = call["created_at"]?.text.flatMap(Timestamp.fromISO8601)
        out.scheduledFor = call["scheduled_for"]?.text.flatMap(Timestamp.fromISO8601)
        out.durationMs = call["call_duration_seconds"]?.double.flatMap(Self.milliseconds)
        out.assistantID = call["assistant_id"]?.text
        out.assistantName = call["assistant_name"]?.text
        out.voiceID = call["voice_id"]?.text
        out.voiceName = call["voice_name"]?.text
        out.providerCallID = call["provider_call_id"]?.text
        out.campaignID = call["campaign_id"]?.text
        out.answeredBy = call["answered_by"]?.text
        out.sentiment = call["sentiment"]?.text
        out.disconnectionReason = call["disconnection_reason"]?.text
        out.transcript = call["transcript"]?.text
        out.recordingURL = call["call_recording_url"]?.text
        out.recordingEnabled = call["call_recording_enabled"]?.bool
        out.isBilled = call["is_billed"]?.bool
        out.costUSD = call["call_cost"]?.double.flatMap { $0.isFinite ? $0 : nil }  // dollars
        out.metadata = call["metadata"]?.jsonColumn
        out.variables = call["variables"]?.jsonColumn
        out.turns = Lenient.turns(call["transcript_object"])

        out.analysis = Lenient.analysis(call["call_analysis"], summaryKey: "summary")
        if let analysis = call["call_analysis"]?.object {
            out.fields = (analysis["post_analysis_data"]?.array ?? []).enumerated().map { position, item in
                guard let item = item.object else {
                    return NormalizedCall.Field(name: "#\(position)", value: Lenient.fieldValue(item))
                }
                return NormalizedCall.Field(
                    name: item["name"]?.text ?? "#\(position)",
                    value: item["value"].flatMap(Lenient.fieldValue))
            }
        }
        // Analysis arrives after the call ends: until it does, the call may still change.
        out.isFinal = out.status != "in-progress" && out.analysis != nil
        out.awaitingAnalysis = out.status != "in-progress" && out.analysis == nil
        return out
    }

    /// The types PureTalk's Get Call page documents (`metadata` has been both a
    /// string and an object; `tool_calls` elements and field values may be any JSON).
    static let contract = BodyContract.object([
        "msg": .string, "err": .bool,
        "results": .object([
            "call_id": .string, "protocol": .string, "from_number": .string, "to_number": .string,
            "assistant_id": .string, "assistant_name": .string, "voice_id": .string, "voice_name": .string,
            "start_time": .string, "end_time": .string, "call_duration_seconds": .number, "call_type": .string,
            "transcript": .string, "status": .string, "provider_call_id": .string,
            "metadata": .oneOf([.string, .object([:])]), "variables": .array(of: .string), "answered_by": .string,
            "call_recording_enabled": .bool, "call_recording_url": .string, "campaign_id": .string,
            "sentiment": .string, "is_billed": .bool,
            "transcript_object": .array(of: .object([
                "role": .string, "content": .string, "function_name": .string, "interrupted": .bool,
                "function_args": .string, "tool_calls": .array(of: .any),
                "turn_latency": .object(["latency": .number, "eou_delay": .number, "llm_latency": .number, "tts_latency": .number]),
            ])),
            "call_analysis": .object([
                "summary": .string, "call_completion_summary": .string, "call_completion": .string,
                "task_completion_summary": .string, "task_completion": .string,
                "post_analysis_data": .array(of: .object(["name": .string, "value": .any])),
            ]),
        ]),
    ])

    /// PureTalk's `call_type` is the direction, in its own words.
    static func direction(_ callType: String) -> String {
        switch callType.lowercased() {
        case "incoming", "inbound": "inbound"
        case "outgoing", "outbound": "outbound"
        default: callType
        }
    }

    static func milliseconds(_ seconds: Double) -> Int64? {
        let ms = (seconds * 1000).rounded()
        return ms.isFinite && abs(ms) < 9.0e15 ? Int64(ms) : nil
    }
}
