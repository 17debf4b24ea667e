/// PuppeteerAI's Get Call: a flat call object, times in Unix seconds, and an
/// untyped transcript and analysis that in practice follow Retell's shapes.
public struct PuppeteerAdapter: VendorAdapter {
    public var provider: Provider { .puppeteer }
    public var displayName: String { "PuppeteerAI" }
    public var defaultBaseURL: String { "https://api.puppeteerai.com" }
    public var apiKeyVariable: String { "PUPPETEER_API_KEY" }

    public init() {}

    /// The raw key in `Authorization`, with no `Bearer` prefix.
    public func authorization(apiKey: String) -> (name: String, value: String) { ("Authorization", apiKey) }

    /// `GET {base}/calls/{id}`.
    public func callURL(_ id: String, base: BaseURL) -> String {
        base.url("calls", segment: id)
    }

    public func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall {
        var (call, out) = try openFlatCall(body, requestedID: requestedID, idKey: "id", errorKeys: ["detail"], contract: Self.contract)
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
        out.durationMs = call["duration_ms"]?.roundedInt64
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
            out.fields = Lenient.flattenedFields(analysis, excluding: summaryKey)
        }
        let status = out.status?.lowercased()
        out.isFinal = !(status == "scheduled" || status == "ongoing" || (status == "ended" && out.analysis == nil))
        out.awaitingAnalysis = status == "ended" && out.analysis == nil
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

    /// Unix seconds (the contract makes it a number).
    static func time(_ value: JSONValue?) -> String? {
        value?.double.flatMap(Timestamp.fromUnix)
    }
}
