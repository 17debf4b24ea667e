/// Retell's Get Call (`GET /v2/get-call/{call_id}`): a flat call object, times
/// in Unix milliseconds, costs in cents, a transcript that may interleave tool
/// calls and node transitions, and latency as per-call series tied to no turn.
/// The shapes follow Retell's generated SDK (`RetellAI/retell-typescript-sdk`,
/// `src/resources/call.ts`), as summarised in `../shared/vendors.md`.
public struct RetellAdapter: VendorAdapter {
    public var provider: Provider { .retell }
    public var displayName: String { "Retell" }
    public var defaultBaseURL: String { "https://api.retellai.com" }
    public var apiKeyVariable: String { "RETELL_API_KEY" }

    public init() {}

    public func authorization(apiKey: String) -> (name: String, value: String) { ("Authorization", "Bearer " + apiKey) }

    /// `GET {base}/v2/get-call/{call_id}` (some doc pages still say `/v1`; the SDK uses `/v2`).
    public func callURL(_ id: String, base: BaseURL) -> String {
        base.url("v2/get-call", segment: id)
    }

    public func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall {
        var (call, out) = try openFlatCall(body, requestedID: requestedID, idKey: "call_id", errorKeys: ["error_message", "message"],
                                           contract: Self.contract)
        out.status = call["call_status"]?.text
        out.callType = call["call_type"]?.text
        out.direction = call["direction"]?.text
        out.fromNumber = call["from_number"]?.text
        out.toNumber = call["to_number"]?.text
        out.startedAt = Self.time(call["start_timestamp"])
        out.endedAt = Self.time(call["end_timestamp"])
        out.durationMs = call["duration_ms"]?.roundedInt64
        out.assistantID = call["agent_id"]?.text
        out.assistantName = call["agent_name"]?.text
        out.disconnectionReason = call["disconnection_reason"]?.text
        out.transcript = call["transcript"]?.text
        out.recordingURL = call["recording_url"]?.text
        out.multichannelRecordingURL = call["recording_multi_channel_url"]?.text
        out.metadata = call["metadata"]?.jsonColumn
        out.variables = call["retell_llm_dynamic_variables"]?.jsonColumn
        // Retell's costs are cents.
        out.costUSD = call["call_cost"]?.object?["combined_cost"]?.double.flatMap { $0.isFinite ? $0 / 100 : nil }
        out.turns = Self.turns(call["transcript_with_tool_calls"] ?? call["transcript_object"])
        out.latencySamples = Self.latencySamples(call["latency"])

        out.analysis = Lenient.analysis(call["call_analysis"], summaryKey: "call_summary")
        if let analysis = call["call_analysis"]?.object {
            out.sentiment = analysis["user_sentiment"]?.text
            out.fields = Lenient.flattenedFields(analysis, excluding: "call_summary")
        }
        // `call_analysis` comes only after the call ended and was analysed
        // (the `call_analyzed` event); until then the call may still change.
        let status = out.status?.lowercased()
        let ended = status == "ended" || status == "error" || status == "not_connected"
        out.isFinal = ended && out.analysis != nil
        out.awaitingAnalysis = ended && out.analysis == nil
        return out
    }

    /// `recording_multi_channel_url`: each party on its own channel, signed like the mono link.
    public func twoPartyRecording(of call: NormalizedCall, base: BaseURL) -> (variant: RecordingVariant, link: String)? {
        call.multichannelRecordingURL.map { (.multichannel, $0) }
    }

    /// One row per element in order, `role` as sent (`agent`, `user`,
    /// `tool_call_invocation`, `tool_call_result`, `node_transition`, …); an
    /// invocation's `name` and `arguments` are its function's name and arguments.
    static func turns(_ value: JSONValue?) -> [NormalizedCall.Turn] {
        guard let items = value?.array else { return [] }
        return items.enumerated().map { index, item in
            let invocation = item.object?["role"]?.text == "tool_call_invocation"
            return Lenient.turn(item, index: index, aliases: invocation ? ["name": "function_name", "arguments": "function_args"] : [:])
        }
    }

    /// The archive's names for Retell's latency keys; others keep their own.
    static let metricNames = ["e2e": "latency", "asr": "asr_latency", "llm": "llm_latency", "tts": "tts_latency"]

    /// Every `latency.<key>.values[]` sample, milliseconds made seconds. The
    /// per-call p50…p99 beside them stay in the raw body only.
    static func latencySamples(_ value: JSONValue?) -> [NormalizedCall.LatencySample] {
        guard let latency = value?.object else { return [] }
        var samples: [NormalizedCall.LatencySample] = []
        for (key, series) in latency.members {
            guard let values = series.object?["values"]?.array else { continue }
            let metric = metricNames[key] ?? key
            for (position, sample) in values.enumerated() {
                guard let ms = sample.double, ms.isFinite else { continue }
                samples.append(.init(metric: metric, position: position, seconds: ms / 1000))
            }
        }
        return samples
    }

    /// The types of Retell's `CallResponse` that the archive maps. Fields the
    /// SDK types as unknown (`metadata`, dynamic variables) are never refused.
    static let contract: BodyContract = {
        let series = BodyContract.object([
            "min": .number, "max": .number, "num": .number, "p50": .number, "p90": .number, "p95": .number, "p99": .number,
            "values": .array(of: .number),
        ])
        let words = BodyContract.array(of: .object(["word": .string, "start": .number, "end": .number]))
        let utterance = BodyContract.object(["role": .string, "content": .string, "words": words])
        // Utterances, tool call invocations and results, node transitions (DTMF and SMS entries too).
        let entry = BodyContract.object([
            "role": .string, "content": .string, "words": words, "tool_call_id": .string, "name": .string,
            "arguments": .string, "successful": .bool, "former_node_id": .string, "former_node_name": .string,
            "new_node_id": .string, "new_node_name": .string,
        ])
        return .object([
            "call_id": .string, "agent_id": .string, "agent_name": .string, "agent_version": .number,
            "call_status": .string, "call_type": .string, "direction": .string,
            "from_number": .string, "to_number": .string,
            "start_timestamp": .number, "end_timestamp": .number, "duration_ms": .number,
            "disconnection_reason": .string, "transcript": .string,
            "transcript_object": .array(of: utterance),
            "transcript_with_tool_calls": .array(of: entry),
            "recording_url": .string, "recording_multi_channel_url": .string,
            "scrubbed_recording_url": .string, "scrubbed_recording_multi_channel_url": .string,
            "public_log_url": .string, "metadata": .any, "retell_llm_dynamic_variables": .any,
            "call_analysis": .object([
                "call_summary": .string, "user_sentiment": .string, "call_successful": .bool, "in_voicemail": .bool,
                "custom_analysis_data": .any,
            ]),
            "latency": .object(["e2e": series, "asr": series, "llm": series, "llm_websocket_network_rtt": series,
                                "tts": series, "knowledge_base": series, "s2s": series]),
            "opt_in_signed_url": .bool,
            "call_cost": .object(["combined_cost": .number, "total_duration_seconds": .number, "total_duration_unit_price": .number,
                                  "product_costs": .array(of: .object(["product": .string, "cost": .number, "unit_price": .number]))]),
        ])
    }()

    /// Unix milliseconds (the contract makes it a number).
    static func time(_ value: JSONValue?) -> String? {
        value?.double.flatMap { Timestamp.fromUnix($0 / 1000) }
    }
}
