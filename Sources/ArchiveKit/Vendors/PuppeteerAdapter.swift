/// PuppeteerAI's Get Call: a flat call object, times in Unix seconds, and an
/// untyped transcript and analysis that in practice follow Retell's shapes.
public struct PuppeteerAdapter: VendorAdapter {
    public var provider: Provider { .puppeteer }

    public init() {}

    public func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall {
        let call = try parseObject(body)
        if call["id"] == nil, let detail = call["detail"] {
            throw .notACall("PuppeteerAI reported an error: \(detail.text ?? "no detail")")
        }
        try Self.contract.check(.object(call))
        let named = try checkID(call["id"], requestedID: requestedID)

        var out = NormalizedCall(provider: .puppeteer, callID: requestedID, rawJSON: body)
        out.bodyNamesCall = named
        out.status = call["status"]?.text
        out.direction = call["direction"]?.text
        out.callType = call["call_type"]?.text
        out.fromNumber = call["from_number"]?.text
        out.toNumber = call["to_number"]?.text
        out.startedAt = Self.time(call["start_timestamp"])
        out.endedAt = Self.time(call["end_timestamp"])
        out.createdAt = call["created_at"]?.text.flatMap(Timestamp.fromISO8601)
        out.scheduledFor = call["scheduled_for"]?.text.flatMap(Timestamp.fromISO8601)
        // Retell's shape: {"combined_cost": cents, ...}.
        out.costUSD = call["call_cost"]?.object?["combined_cost"]?.double.flatMap { $0.isFinite ? $0 / 100 : nil }
        out.durationMs = call["duration_ms"]?.double.flatMap { $0.isFinite && abs($0) < 9.0e15 ? Int64($0.rounded()) : nil }
        out.threadID = call["thread_id"]?.text
        out.conversationID = call["conversation_id"]?.text
        out.disconnectionReason = call["disconnection_reason"]?.text
        out.transcript = call["transcript"]?.text
        out.recordingURL = call["recording_url"]?.text
        out.metadata = call["metadata"]?.jsonColumn
        out.variables = call["variables"]?.jsonColumn
        out.turns = Lenient.turns(call["transcript_object"])

        let analysis = call["call_analysis"]?.object
        let summaryKey = analysis?["summary"] != nil ? "summary" : "call_summary"
        out.analysis = Lenient.analysis(call["call_analysis"], summaryKey: summaryKey)
        if let analysis {
            out.sentiment = (analysis["sentiment"] ?? analysis["user_sentiment"])?.text
            out.fields = Self.fields(analysis, excluding: summaryKey)
        }
        let status = out.status?.lowercased()
        out.isFinal = !(status == "scheduled" || status == "ongoing" || (status == "ended" && out.analysis == nil))
        return out
    }

    /// The types PuppeteerAI's Get Call page documents. `transcript_object` and
    /// `call_analysis` are typed "any" there, so they are never refused.
    static let contract = BodyContract.object([
        "id": .string, "thread_id": .string, "call_type": .string, "status": .string, "created_at": .string,
        "conversation_id": .number, "direction": .string, "from_number": .string, "to_number": .string,
        "scheduled_for": .string, "start_timestamp": .number, "end_timestamp": .number, "duration_ms": .number,
        "disconnection_reason": .string, "transcript": .string, "recording_url": .string,
        "transcript_object": .any, "call_analysis": .any,
    ])

    /// Every analysis key but the summary, with nested objects flattened one level as `parent.child`.
    static func fields(_ analysis: JSONObject, excluding summaryKey: String) -> [NormalizedCall.Field] {
        var fields: [NormalizedCall.Field] = []
        for (key, value) in analysis.members where key != summaryKey {
            if let nested = value.object, !nested.members.isEmpty {
                for (child, childValue) in nested.members {
                    fields.append(.init(name: key + "." + child, value: Lenient.fieldValue(childValue)))
                }
            } else {
                fields.append(.init(name: key, value: Lenient.fieldValue(value)))
            }
        }
        return fields
    }

    /// Unix seconds (the contract makes it a number).
    static func time(_ value: JSONValue?) -> String? {
        value?.double.flatMap(Timestamp.fromUnix)
    }
}
