/// Vapi's Get Call (`GET /call/{id}`): a flat call object with ISO 8601 times,
/// cost in dollars, the conversation in `artifact.messages`, latency per turn
/// in `artifact.performanceMetrics.turnLatencies` (tied to no message), and
/// recordings kept privately behind `/call/{id}/mono-recording`. Shapes follow
/// Vapi's generated SDK (`VapiAI/server-sdk-typescript`, `src/api/types/`).
public struct VapiAdapter: VendorAdapter {
    public var provider: Provider { .vapi }
    public var displayName: String { "Vapi" }
    public var defaultBaseURL: String { "https://api.vapi.ai" }
    public var apiKeyVariable: String { "VAPI_API_KEY" }

    public init() {}

    /// The private API key as a bearer token.
    public func authorization(apiKey: String) -> (name: String, value: String) { ("Authorization", "Bearer " + apiKey) }

    /// `GET {base}/call/{id}`.
    public func callURL(_ id: String, base: BaseURL) -> String {
        base.url("call", segment: id)
    }

    public func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall {
        var (call, out) = try openFlatCall(body, requestedID: requestedID, idKey: "id", errorKeys: ["message"], contract: Self.contract)
        let artifact = call["artifact"]?.object
        out.status = call["status"]?.text
        out.callType = call["type"]?.text
        out.direction = switch out.callType {
        case "inboundPhoneCall": "inbound"
        case "outboundPhoneCall": "outbound"
        default: nil
        }
        // The customer is the caller on an inbound call and the callee on an outbound one.
        let customer = call["customer"]?.object?["number"]?.text, agent = call["phoneNumber"]?.object?["number"]?.text
        (out.fromNumber, out.toNumber) = out.direction == "outbound" ? (agent, customer) : out.direction == "inbound" ? (customer, agent) : (nil, nil)
        out.createdAt = call["createdAt"]?.text.flatMap(Timestamp.fromISO8601)
        out.startedAt = call["startedAt"]?.text.flatMap(Timestamp.fromISO8601)
        out.endedAt = call["endedAt"]?.text.flatMap(Timestamp.fromISO8601)
        if let start = call["startedAt"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)),
           let end = call["endedAt"]?.text.flatMap(Timestamp.microseconds(fromISO8601:)) {
            out.durationMs = (end - start) / 1000
        }
        out.assistantID = call["assistantId"]?.text
        out.assistantName = call["assistant"]?.object?["name"]?.text
        out.disconnectionReason = call["endedReason"]?.text
        out.transcript = artifact?["transcript"]?.text
        out.recordingURL = (artifact?["recording"]?.object?["mono"]?.object?["combinedUrl"] ?? artifact?["recordingUrl"])?.text
        out.costUSD = call["cost"]?.double.flatMap { $0.isFinite ? $0 : nil }  // dollars
        out.metadata = call["metadata"]?.jsonColumn
        out.variables = artifact?["variableValues"]?.jsonColumn
        out.turns = Self.turns(artifact?["messages"] ?? call["messages"])
        out.latencySamples = Self.latencySamples(artifact?["performanceMetrics"]?.object?["turnLatencies"])

        out.analysis = Lenient.analysis(call["analysis"], summaryKey: "summary")
        if let analysis = call["analysis"]?.object {
            out.fields = Lenient.flattenedFields(analysis, excluding: "summary")
        }
        // `analysis` may never come when the assistant has no analysis plan:
        // an ended call without it waits (see `NormalizedCall.finalized`).
        let status = out.status?.lowercased()
        out.isFinal = (status == "ended" && out.analysis != nil) || status == "not-found"
        out.awaitingAnalysis = status == "ended" && out.analysis == nil
        return out
    }

    /// The API host's recording endpoint, which answers a redirect to a
    /// short-lived signed storage URL: asked anew for each download, as Vapi's
    /// docs advise. The body's own URLs point at private storage.
    public func recordingLink(callID: String, bodyLink: String?, base: BaseURL) -> String? {
        bodyLink.map { _ in Self.recordingEndpoint(callID, "mono-recording", base: base) }
    }

    /// `/call/{id}/stereo-recording`: the customer on one channel, the assistant on the other; asked anew each time too.
    public func twoPartyRecording(of call: NormalizedCall, base: BaseURL) -> (variant: RecordingVariant, link: String)? {
        call.recordingURL.map { _ in (.stereo, Self.recordingEndpoint(call.callID, "stereo-recording", base: base)) }
    }

    /// `{base}/call/{id}/{name}`: one of the API host's recording endpoints.
    static func recordingEndpoint(_ id: String, _ name: String, base: BaseURL) -> String {
        base.url("call", segment: id) + "/" + name
    }

    /// Every message in order, every role kept (`system`, `user`, `bot`,
    /// `tool_calls`, `tool_call_result`): `message` is the content, a tool
    /// result's `result` too, and its `name` the function's.
    static func turns(_ value: JSONValue?) -> [NormalizedCall.Turn] {
        guard let items = value?.array else { return [] }
        return items.enumerated().map { index, item in
            var aliases = ["message": "content", "toolCalls": "tool_calls"]
            if item.object?["role"]?.text == "tool_call_result" { aliases["result"] = "content"; aliases["name"] = "function_name" }
            return Lenient.turn(item, index: index, aliases: aliases)
        }
    }

    /// The archive's names for Vapi's turn latency keys (migration 0006).
    static let metricNames = [
        "turnLatency": "latency", "endpointingLatency": "eou_delay", "transcriberLatency": "asr_latency",
        "modelLatency": "llm_latency", "voiceLatency": "tts_latency",
    ]

    /// `turnLatencies[i].<key>`, milliseconds made seconds, with `i` as the position.
    static func latencySamples(_ value: JSONValue?) -> [NormalizedCall.LatencySample] {
        guard let turns = value?.array else { return [] }
        var samples: [NormalizedCall.LatencySample] = []
        for (position, turn) in turns.enumerated() {
            for (key, sample) in turn.object?.members ?? [] {
                guard let ms = sample.double, ms.isFinite else { continue }
                samples.append(.init(metric: metricNames[key] ?? key, position: position, seconds: ms / 1000))
            }
        }
        return samples
    }

    /// The types of the SDK's `Call`, `Artifact`, `PerformanceMetrics`, `TurnLatency` and `Analysis` that the archive maps.
    static let contract: BodyContract = {
        let message = BodyContract.object([
            "role": .string, "message": .string, "time": .number, "endTime": .number, "secondsFromStart": .number,
            "duration": .number, "toolCalls": .array(of: .any), "toolCallId": .string, "name": .string, "result": .any,
        ])
        let latency = BodyContract.object([
            "modelLatency": .number, "voiceLatency": .number, "transcriberLatency": .number,
            "endpointingLatency": .number, "turnLatency": .number,
        ])
        return .object([
            "id": .string, "orgId": .string, "type": .string, "status": .string, "endedReason": .string,
            "createdAt": .string, "updatedAt": .string, "startedAt": .string, "endedAt": .string,
            "cost": .number, "costs": .array(of: .object(["type": .string, "cost": .number])),
            "assistantId": .string, "assistant": .object(["name": .string]), "phoneNumberId": .string,
            "phoneNumber": .object(["number": .string]), "customer": .object(["number": .string, "name": .string]),
            "messages": .array(of: message), "metadata": .any,
            "artifact": .object([
                "messages": .array(of: message), "transcript": .string, "recordingUrl": .string, "stereoRecordingUrl": .string,
                "recording": .object(["stereoUrl": .string, "mono": .object(["combinedUrl": .string, "assistantUrl": .string, "customerUrl": .string])]),
                "performanceMetrics": .object(["turnLatencies": .array(of: latency), "numUserInterrupted": .number,
                                               "numAssistantInterrupted": .number]),
                "variableValues": .any,
            ]),
            "analysis": .object(["summary": .string, "structuredData": .any, "successEvaluation": .string,
                                 "structuredDataMulti": .array(of: .any)]),
        ])
    }()
}
