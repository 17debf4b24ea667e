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
        #expect(try BaseURL("http://127.0.0.1:8080/puretalk/api").callURL("a b") == "http://127.0.0.1:8080/puretalk/api/calls/a%20b")
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
