@testable import ArchiveKit
import Testing

@Suite struct PureTalkAdapterTests {
    @Test func decodesTheReferenceExampleVerbatim() throws {
        let body = try fixture("puretalk-get-call.json")
        let call = try PureTalkAdapter().decode(body: body, requestedID: "be8b84ed-16d8-459e-b71c-b0f54fce5ec1")
        #expect(call.provider == .puretalk)
        #expect(call.callID == "be8b84ed-16d8-459e-b71c-b0f54fce5ec1")
        #expect(call.status == "completed")
        #expect(call.direction == "outbound")
        #expect(call.callType == "web")
        #expect(call.fromNumber == "+1234567890")
        #expect(call.toNumber == "+1234567890")
        #expect(call.startedAt == "2025-05-19T14:15:22.230876Z")
        #expect(call.endedAt == "2025-05-19T14:15:22.230876Z")
        #expect(call.durationMs == 123_000)
        #expect(call.assistantID == "217b769d-befe-47a2-83bc-b014c2e19ea5")
        #expect(call.assistantName == "Appointment Setter")
        #expect(call.voiceID == "Puretalktts-e0c5f2f95332")
        #expect(call.voiceName == "Gabrielle")
        #expect(call.providerCallID == "CA96878fe2501423e1f018a7ab6db5498b")
        #expect(call.campaignID == "<string>")
        #expect(call.answeredBy == "human")
        #expect(call.sentiment == "positive")
        #expect(call.transcript == "This is the transcript of the call")
        #expect(call.recordingURL == "https://api.puretalk.ai/api/calls/1234567890/recording")
        #expect(call.recordingEnabled == true)
        #expect(call.isBilled == true)
        #expect(call.metadata == #""This is the metadata of the call""#)
        #expect(call.variables == #"["<string>"]"#)
        #expect(call.rawJSON == body)
        #expect(call.isFinal)

        #expect(call.turns.count == 1)
        let turn = try #require(call.turns.first)
        #expect(turn.index == 0)
        #expect(turn.role == "user")
        #expect(turn.content == "This is the content of the transcript")
        #expect(turn.functionName == "get_weather")
        #expect(turn.functionArgs == #"{"location": "New York"}"#)
        #expect(turn.interrupted == false)
        #expect(turn.toolCalls == "[]")
        #expect(turn.extra == nil)
        #expect(turn.latency == NormalizedCall.Latency(latency: 1.5, eouDelay: 0.2, llmLatency: 0.8, ttsLatency: 0.5))

        let analysis = try #require(call.analysis)
        #expect(analysis.summary == "This is a summary of the call")
        #expect(analysis.callCompletion == "This is a summary of the call completion")
        #expect(analysis.callCompletionSummary == "This is a summary of the call completion")
        #expect(analysis.taskCompletion == "This is a summary of the task completion")
        #expect(analysis.taskCompletionSummary == "This is a summary of the task completion")
        #expect(call.fields == [.init(name: "This is the name of the post analysis data", value: "This is the value of the post analysis data")])
    }

    @Test func metadataMayBeAnObjectAndFieldValuesAnyJSON() throws {
        let body = #"""
            {"msg": "Success", "err": false, "results": {"call_id": "c1", "status": "completed", "call_type": "incoming",
             "metadata": {"crm": "x", "n": 2}, "call_analysis": {"post_analysis_data": [
               {"name": "s", "value": "yes"}, {"name": "n", "value": 12.50}, {"name": "b", "value": true},
               {"name": "z", "value": null}, {"name": "o", "value": {"k": [1, 2]}}, {"value": "nameless"}]}}}
            """#
        let call = try PureTalkAdapter().decode(body: body, requestedID: "c1")
        #expect(call.direction == "inbound")
        #expect(call.metadata == #"{"crm":"x","n":2}"#)
        #expect(call.fields.map(\.name) == ["s", "n", "b", "z", "o", "#5"])
        #expect(call.fields.map(\.value) == ["yes", "12.50", "true", nil, #"{"k":[1,2]}"#, "nameless"])
    }

    @Test func finalityFollowsStatusAndAnalysis() throws {
        func final(_ status: String, analysis: String) throws -> Bool {
            try PureTalkAdapter().decode(
                body: #"{"err": false, "results": {"status": "\#(status)", "call_analysis": \#(analysis)}}"#, requestedID: "x"
            ).isFinal
        }
        #expect(try final("completed", analysis: "{}"))
        #expect(try final("failed", analysis: "{}"))
        #expect(try !final("in-progress", analysis: "{}"))
        #expect(try !final("completed", analysis: "null"))
    }

    @Test func undocumentedFieldsAndNullsAreFreeAndMetadataMayBeEither() throws {
        let body = #"""
            {"err": false, "results": {"call_id": "c1", "status": null, "from_number": null, "unknown_field": [1, {"a": 2}],
             "metadata": {"k": [1]}, "created_at": 12, "transcript_object": [{"role": "user", "content": "hi", "confidence": 0.9}]}}
            """#
        let call = try PureTalkAdapter().decode(body: body, requestedID: "c1")
        #expect(call.status == nil)
        #expect(call.metadata == #"{"k":[1]}"#)
        #expect(call.turns.first?.extra == #"{"confidence":0.9}"#)
    }

    @Test func refusesWhatIsNotACall() {
        let adapter = PureTalkAdapter()
        #expect(throws: DecodeError.notACall("PureTalk reported an error: Call not found")) {
            try adapter.decode(body: #"{"err": true, "msg": "Call not found"}"#, requestedID: "x")
        }
        #expect(throws: DecodeError.idMismatch(received: "other")) {
            try adapter.decode(body: #"{"err": false, "results": {"call_id": "other"}}"#, requestedID: "x")
        }
        #expect((try? adapter.decode(body: "<html>502</html>", requestedID: "x")) == nil)
        do {
            _ = try adapter.decode(body: "", requestedID: "x")
            Issue.record("an empty body decoded")
        } catch {
            #expect(error.isRetryable)
        }
    }
}

@Suite struct PuppeteerAdapterTests {
    @Test func decodesTheReferenceExampleVerbatim() throws {
        let body = try fixture("puppeteerai-get-call.json")
        let call = try PuppeteerAdapter().decode(body: body, requestedID: "<string>")
        #expect(call.provider == .puppeteer)
        #expect(call.threadID == "<string>")
        #expect(call.callType == "<string>")
        #expect(call.status == "<string>")
        #expect(call.createdAt == nil)  // "<string>" is not a time
        #expect(call.conversationID == "123")
        #expect(call.direction == "<string>")
        #expect(call.startedAt == "1970-01-01T00:02:03.000000Z")
        #expect(call.endedAt == "1970-01-01T00:02:03.000000Z")
        #expect(call.durationMs == 123)
        #expect(call.disconnectionReason == "<string>")
        #expect(call.recordingURL == "<string>")
        #expect(call.turns.isEmpty)  // "<unknown>" is not a list
        #expect(call.analysis?.summary == "<unknown>")
        #expect(call.fields.isEmpty)
        #expect(call.rawJSON == body)
    }

    @Test func decodesRetellShapes() throws {
        let body = #"""
            {"id": "p1", "status": "ended", "start_timestamp": 1747664122, "end_timestamp": 1747664182,
             "created_at": "2025-05-19T14:14:00Z", "duration_ms": 60000, "direction": "inbound",
             "transcript_object": [
                {"role": "agent", "content": "Hi", "words": [{"word": "Hi", "start": 0.1, "end": 0.3}], "confidence": 0.9},
                {"role": "user", "content": "Refund please"}],
             "call_analysis": {"call_summary": "Wants a refund", "user_sentiment": "Negative", "call_successful": false,
                "custom_analysis_data": {"refund": true, "amount": 12.5, "note": null}, "empty": {}}}
            """#
        let call = try PuppeteerAdapter().decode(body: body, requestedID: "p1")
        #expect(call.startedAt == "2025-05-19T14:15:22.000000Z")
        #expect(call.endedAt == "2025-05-19T14:16:22.000000Z")
        #expect(call.createdAt == "2025-05-19T14:14:00.000000Z")
        #expect(call.durationMs == 60_000)
        #expect(call.sentiment == "Negative")
        #expect(call.analysis?.summary == "Wants a refund")
        #expect(call.turns.count == 2)
        #expect(call.turns[0].words == #"[{"word":"Hi","start":0.1,"end":0.3}]"#)
        #expect(call.turns[0].extra == #"{"confidence":0.9}"#)
        #expect(call.turns[1].latency == nil)
        #expect(call.fields == [
            .init(name: "user_sentiment", value: "Negative"),
            .init(name: "call_successful", value: "false"),
            .init(name: "custom_analysis_data.refund", value: "true"),
            .init(name: "custom_analysis_data.amount", value: "12.5"),
            .init(name: "custom_analysis_data.note", value: nil),
            .init(name: "empty", value: "{}"),
        ])
        #expect(call.isFinal)
    }

    @Test func sentimentPrefersTheSentimentKey() throws {
        let call = try PuppeteerAdapter().decode(
            body: #"{"id": "p", "call_analysis": {"summary": "s", "sentiment": "Positive", "user_sentiment": "Negative"}}"#,
            requestedID: "p")
        #expect(call.sentiment == "Positive")
        #expect(call.fields.map(\.name) == ["sentiment", "user_sentiment"])
    }

    @Test(arguments: [
        ("scheduled", "{}", false), ("ongoing", "{}", false), ("ended", "null", false),
        ("ended", "{}", true), ("error", "null", true),
    ])
    func finality(status: String, analysis: String, expected: Bool) throws {
        let call = try PuppeteerAdapter().decode(
            body: #"{"id": "p", "status": "\#(status)", "call_analysis": \#(analysis)}"#, requestedID: "p")
        #expect(call.isFinal == expected)
    }

    @Test func fastAPIErrorBodyIsNotACall() {
        #expect(throws: DecodeError.notACall("PuppeteerAI reported an error: Not Found")) {
            try PuppeteerAdapter().decode(body: #"{"detail": "Not Found"}"#, requestedID: "p")
        }
    }
}

@Suite struct BaseURLTests {
    @Test func acceptsHTTPSAndLoopbackHTTP() throws {
        #expect(try BaseURL("https://api.puretalk.ai/api/").description == "https://api.puretalk.ai/api")
        #expect(PureTalkAdapter().callURL("a b", base: try BaseURL("http://127.0.0.1:8080/puretalk/api")) == "http://127.0.0.1:8080/puretalk/api/calls/a%20b")
        #expect(try BaseURL("http://localhost:1/x").host == "localhost")
        #expect(try BaseURL("http://[::1]:9/").host == "::1")
    }

    @Test(arguments: ["http://api.puretalk.ai/api", "http://10.0.0.5/api", "ftp://x.org", "api.puretalk.ai",
                      "https://user:pw@api.puretalk.ai", "https://api.puretalk.ai/api?key=1", "http://127.0.0.1.evil.com/"])
    func refusesUnsafeOrMalformedBases(_ text: String) {
        #expect(throws: ConfigurationError.self) { try BaseURL(text) }
    }

    @Test func encodesAnIDAsExactlyOnePathSegment() {
        #expect(BaseURL.encodePathSegment("be8b84ed-16d8_x.y~z") == "be8b84ed-16d8_x.y~z")
        #expect(BaseURL.encodePathSegment("a/b?c#d%e f") == "a%2Fb%3Fc%23d%25e%20f")
        #expect(BaseURL.encodePathSegment("..") == "%2E%2E")
        #expect(BaseURL.encodePathSegment("é") == "%C3%A9")
    }
}

/// Retell's Get Call, from `Fixtures/retell-get-call.json`: a body assembled
/// from the SDK's `CallResponse` type (`RetellAI/retell-typescript-sdk`,
/// `src/resources/call.ts`) and the example values of Retell's docs; no
/// verbatim response example was reachable from here.
@Suite struct RetellAdapterTests {
    @Test func decodesEveryMappedValue() throws {
        let body = try fixture("retell-get-call.json")
        let call = try RetellAdapter().decode(body: body, requestedID: "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6")
        #expect(call.provider == .retell && call.bodyNamesCall && call.rawJSON == body)
        #expect(call.status == "ended")
        #expect(call.callType == "phone_call")
        #expect(call.direction == "inbound")
        #expect(call.fromNumber == "+12137771234" && call.toNumber == "+12137771235")
        #expect(call.startedAt == "2023-12-23T03:33:27.333000Z")
        #expect(call.endedAt == "2023-12-23T03:33:48.855000Z")
        #expect(call.durationMs == 21522)
        #expect(call.assistantID == "oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD")
        #expect(call.assistantName == "Refund Desk")
        #expect(call.disconnectionReason == "agent_hangup")
        #expect(call.transcript?.hasPrefix("Agent: hi how are you doing?\nUser:") == true)
        #expect(call.recordingURL == "https://retellai.s3.us-west-2.amazonaws.com/Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6/recording.wav")
        #expect(call.sentiment == "Positive")
        #expect(call.metadata == #"{"customer_id":"cust_123"}"#)
        #expect(call.variables == #"{"customer_name":"John Doe"}"#)
        #expect(call.costUSD == 0.7, "70 cents")

        // transcript_with_tool_calls wins over transcript_object, every entry kept in order.
        #expect(call.turns.map(\.role) == ["agent", "user", "tool_call_invocation", "tool_call_result", "node_transition", "agent"])
        #expect(call.turns[0].content == "hi how are you doing?")
        #expect(call.turns[0].words == #"[{"word":"hi","start":0.7,"end":1.3}]"#)
        #expect(call.turns[2].functionName == "check_order")
        #expect(call.turns[2].functionArgs == #"{"order_id":"A-1"}"#)
        #expect(call.turns[2].extra == #"{"tool_call_id":"tool_1"}"#)
        #expect(call.turns[3].content == #"{"status":"shipped"}"#)
        #expect(call.turns[3].functionName == nil)
        #expect(call.turns[3].extra == #"{"tool_call_id":"tool_1","successful":true}"#)
        #expect(call.turns[4].extra == #"{"former_node_id":"begin","former_node_name":"Begin","new_node_id":"refund","new_node_name":"Refund"}"#)
        #expect(call.turns.allSatisfy { $0.latency == nil })

        #expect(call.latencySamples.map { "\($0.metric)#\($0.position)=\($0.seconds)" } == [
            "latency#0=0.5", "latency#1=0.8", "latency#2=2.7", "llm_latency#0=0.64", "llm_latency#1=0.91",
            "llm_websocket_network_rtt#0=0.04", "llm_websocket_network_rtt#1=0.06", "tts_latency#0=0.12", "tts_latency#1=0.2",
        ])

        #expect(call.analysis?.summary?.hasPrefix("The agent called the user") == true)
        #expect(call.analysis?.taskCompletion == nil)
        #expect(call.fields == [
            .init(name: "in_voicemail", value: "false"),
            .init(name: "user_sentiment", value: "Positive"),
            .init(name: "call_successful", value: "true"),
            .init(name: "custom_analysis_data.refund_requested", value: "true"),
            .init(name: "custom_analysis_data.order_id", value: "A-1"),
        ])
        #expect(call.isFinal && !call.awaitingAnalysis)
    }

    @Test func withoutToolCallsTheTranscriptObjectIsUsed() throws {
        let call = try RetellAdapter().decode(
            body: #"{"call_id": "r", "transcript_object": [{"role": "agent", "content": "Hi"}]}"#, requestedID: "r")
        #expect(call.turns.map(\.content) == ["Hi"])
    }

    @Test(arguments: [
        ("registered", "null", false, false), ("ongoing", "null", false, false),
        ("ended", "null", false, true), ("ended", "{}", true, false), ("error", "null", false, true),
    ])
    func finality(status: String, analysis: String, final: Bool, awaiting: Bool) throws {
        let call = try RetellAdapter().decode(
            body: #"{"call_id": "r", "call_status": "\#(status)", "call_analysis": \#(analysis)}"#, requestedID: "r")
        #expect(call.isFinal == final && call.awaitingAnalysis == awaiting)
    }

    /// A call whose analysis never comes is final once fetched 12 hours after its end, not fetched forever.
    @Test func anAnalysisThatNeverComesEndsBeingWaitedFor() throws {
        var call = NormalizedCall(provider: .retell, callID: "r", rawJSON: "{}")
        call.awaitingAnalysis = true
        call.endedAt = "2026-03-01T10:00:00.000000Z"
        #expect(!call.finalized(fetchedAt: "2026-03-01T21:59:59.000000Z").isFinal)
        #expect(call.finalized(fetchedAt: "2026-03-01T22:00:00.000000Z").isFinal)
        call.awaitingAnalysis = false
        #expect(!call.finalized(fetchedAt: "2027-01-01T00:00:00.000000Z").isFinal, "a call still in progress is never made final")
    }
}

/// Vapi's Get Call, from `Fixtures/vapi-get-call.json`: a body assembled from
/// the SDK's types (`VapiAI/server-sdk-typescript`, `src/api/types/Call.ts`,
/// `Artifact.ts`, `PerformanceMetrics.ts`, `TurnLatency.ts`, `Analysis.ts`);
/// no verbatim response example was reachable from here.
@Suite struct VapiAdapterTests {
    @Test func decodesEveryMappedValue() throws {
        let body = try fixture("vapi-get-call.json")
        let call = try VapiAdapter().decode(body: body, requestedID: "2f4e9c1a-7d3b-4e8a-9f21-6c5d4b3a2e10")
        #expect(call.provider == .vapi && call.bodyNamesCall && call.rawJSON == body)
        #expect(call.status == "ended")
        #expect(call.callType == "outboundPhoneCall")
        #expect(call.direction == "outbound")
        #expect(call.fromNumber == "+12125550100", "the agent's number calls out")
        #expect(call.toNumber == "+16465550199", "the customer is called")
        #expect(call.createdAt == "2025-03-01T10:00:00.000000Z")
        #expect(call.startedAt == "2025-03-01T10:00:02.250000Z")
        #expect(call.endedAt == "2025-03-01T10:03:04.750000Z")
        #expect(call.durationMs == 182_500)
        #expect(call.assistantID == "5d0c41a2-7f3e-4b51-9a57-2c1e8f0b6d33")
        #expect(call.assistantName == "Refund Desk")
        #expect(call.disconnectionReason == "customer-ended-call")
        #expect(call.transcript == "AI: Hi, how can I help?\nUser: I want a refund.")
        #expect(call.recordingURL == "https://storage.vapi.ai/2f4e9c1a-combined.wav", "mono.combinedUrl before recordingUrl")
        #expect(call.costUSD == 0.1289)

        #expect(call.turns.map(\.role) == ["system", "bot", "user", "tool_calls", "tool_call_result"], "artifact.messages, every role")
        #expect(call.turns[0].content == "You are Refund Desk.")
        #expect(call.turns[1].content == "Hi, how can I help?")
        #expect(call.turns[1].extra == #"{"time":1740823203450,"endTime":1740823204650,"secondsFromStart":1.2,"duration":1200}"#)
        #expect(call.turns[3].toolCalls == #"[{"id":"call_1","type":"function","function":{"name":"lookup_order","arguments":"{\"order_id\":\"A-1\"}"}}]"#)
        #expect(call.turns[4].content == #"{"status":"shipped"}"#)
        #expect(call.turns[4].functionName == "lookup_order")
        #expect(call.turns[4].extra == #"{"toolCallId":"call_1","time":1740823207400,"secondsFromStart":5.15}"#)

        #expect(call.latencySamples.map { "\($0.metric)#\($0.position)=\($0.seconds)" } == [
            "llm_latency#0=0.64", "tts_latency#0=0.21", "asr_latency#0=0.12", "eou_delay#0=0.3", "latency#0=1.27",
            "llm_latency#1=0.91", "tts_latency#1=0.18", "asr_latency#1=0.095", "eou_delay#1=0.25", "latency#1=1.435",
        ])
        #expect(call.analysis?.summary == "The customer asked for a refund of order A-1.")
        #expect(call.fields == [
            .init(name: "structuredData.refund_requested", value: "true"),
            .init(name: "structuredData.order_id", value: "A-1"),
            .init(name: "successEvaluation", value: "true"),
        ])
        #expect(call.isFinal && !call.awaitingAnalysis)
        #expect(VapiAdapter().recordingLink(callID: call.callID, bodyLink: call.recordingURL, base: try BaseURL("https://api.vapi.ai"))
                == "https://api.vapi.ai/call/2f4e9c1a-7d3b-4e8a-9f21-6c5d4b3a2e10/mono-recording")
    }

    @Test func inboundAndWebCallsPlaceTheNumbers() throws {
        let inbound = try VapiAdapter().decode(body: #"{"id": "v", "type": "inboundPhoneCall", "customer": {"number": "+1"}, "phoneNumber": {"number": "+2"}, "messages": [{"role": "user", "message": "hi"}]}"#, requestedID: "v")
        #expect(inbound.direction == "inbound" && inbound.fromNumber == "+1" && inbound.toNumber == "+2")
        #expect(inbound.turns.map(\.content) == ["hi"], "the top-level messages without an artifact")
        let web = try VapiAdapter().decode(body: #"{"id": "v", "type": "webCall", "customer": {"number": "+1"}}"#, requestedID: "v")
        #expect(web.direction == nil && web.fromNumber == nil && web.toNumber == nil)
    }

    @Test(arguments: [
        ("queued", "null", false, false), ("in-progress", "null", false, false),
        ("ended", "null", false, true), ("ended", #"{"summary": "s"}"#, true, false),
    ])
    func finality(status: String, analysis: String, final: Bool, awaiting: Bool) throws {
        let call = try VapiAdapter().decode(body: #"{"id": "v", "status": "\#(status)", "analysis": \#(analysis)}"#, requestedID: "v")
        #expect(call.isFinal == final && call.awaitingAnalysis == awaiting)
    }

    /// Pages walk back by `createdAt`, inclusive, so ties at a boundary are asked for again (and dropped as seen).
    @Test func aFullPageLeadsToItsOldestInstantAndAShortOneEnds() throws {
        let adapter = VapiAdapter()
        let full = "[" + (0..<ListCalls.pageSize).map { #"{"id": "c\#($0)", "createdAt": "2025-03-01T10:00:\#(String(format: "%02d", 59 - $0 % 60)).000Z"}"# }.joined(separator: ",") + "]"
        #expect(try adapter.parsePage(full).next == "2025-03-01T10:00:00.000Z")
        #expect(try adapter.parsePage(#"[{"id": "c1", "createdAt": "2025-03-01T10:00:00.000Z"}]"#).next == nil)
        let next = try adapter.nextPage("2025-03-01T10:00:00.000Z", base: try BaseURL("https://api.vapi.ai"), query: ListingQuery())
        #expect(next == PageRequest(url: "https://api.vapi.ai/call?limit=100&createdAtLe=2025-03-01T10:00:00.000Z"))
        #expect(throws: ListingError.self) { try adapter.parsePage(#"{"results": []}"#) }
    }
}
