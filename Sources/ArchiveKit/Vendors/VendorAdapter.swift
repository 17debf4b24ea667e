/// Decodes one vendor's Get Call body into a `NormalizedCall`.
///
/// Adapters check the body against the vendor's documented `BodyContract`
/// first: a documented field of another type fails the call, naming the field.
/// Past that they are lenient: any field may be missing or null, and unknown
/// fields are ignored (the raw body keeps them).
public protocol VendorAdapter: Sendable {
    var provider: Provider { get }
    func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall
}

/// Why a 2xx body could not be archived.
public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON at all (an HTML error page, a truncated body): worth retrying.
    case invalidJSON(String)
    /// Valid JSON, but not a call: the vendor said no, or sent something else.
    case notACall(String)
    /// The body describes another call than the one asked for.
    case idMismatch(received: String)
    /// A documented field has another JSON type than the vendor documents.
    case wrongType(path: String, found: String, expected: String)
    /// JSON this archive will not read: a member named twice in one object
    /// (readers disagree about its value) or nesting past the parser's limit.
    case unacceptableJSON(String)

    public var description: String {
        switch self {
        case .invalidJSON(let reason): "response is not valid JSON (\(reason))"
        case .notACall(let reason): reason
        case .idMismatch(let received): "response is for a different call (\(received.debugDescription))"
        case .wrongType(let path, let found, let expected):
            "field \(path) is \(found), where the API documents \(expected); the call was not stored (the body is kept in sync_failures.response_body)"
        case .unacceptableJSON(let reason): "response is JSON the archive will not read (\(reason))"
        }
    }

    /// Whether asking again may give a different answer.
    public var isRetryable: Bool { if case .invalidJSON = self { true } else { false } }
}

extension VendorAdapter {
    func parseObject(_ body: String) throws(DecodeError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw error.isPermanent ? .unacceptableJSON(error.description) : .invalidJSON(error.description)
        }
        guard let object = value.object else { throw .notACall("response body is not a JSON object") }
        return object
    }

    /// Checks the body's own ID against the one requested; a missing ID is
    /// accepted. Returns whether the body named the call.
    func checkID(_ received: JSONValue?, requestedID: String) throws(DecodeError) -> Bool {
        guard let received = received?.text else { return false }
        if received != requestedID { throw .idMismatch(received: received) }
        return true
    }
}

/// Shared readers for the loosely typed parts of vendor bodies.
enum Lenient {
    /// A transcript entry: the columns both vendors share, plus any other keys kept as `extra`.
    static func turn(_ value: JSONValue, index: Int, mapped: Set<String>) -> NormalizedCall.Turn {
        var turn = NormalizedCall.Turn(index: index)
        guard let object = value.object else {
            turn.content = value.text
            return turn
        }
        turn.role = object["role"]?.text
        turn.content = object["content"]?.text
        turn.functionName = object["function_name"]?.text
        turn.functionArgs = object["function_args"]?.text
        turn.interrupted = object["interrupted"]?.bool
        turn.toolCalls = object["tool_calls"]?.jsonColumn
        turn.words = object["words"]?.jsonColumn
        if let latency = object["turn_latency"]?.object {
            turn.latency = NormalizedCall.Latency(
                latency: latency["latency"]?.double,
                eouDelay: latency["eou_delay"]?.double,
                llmLatency: latency["llm_latency"]?.double,
                ttsLatency: latency["tts_latency"]?.double)
        }
        let known: Set<String> = ["role", "content", "function_name", "function_args", "interrupted",
                                  "tool_calls", "words", "turn_latency"]
        let rest = object.members.filter { !known.contains($0.key) && !mapped.contains($0.key) }
        if !rest.isEmpty { turn.extra = JSONValue.object(JSONObject(rest)).jsonText }
        return turn
    }

    static func turns(_ value: JSONValue?) -> [NormalizedCall.Turn] {
        guard let items = value?.array else { return [] }
        return items.enumerated().map { turn($1, index: $0, mapped: []) }
    }

    /// The `call_analysis` row: the five shared columns from an object, with the
    /// summary under `summaryKey`; a non-object (a bare string, say) becomes the
    /// summary; nil or JSON null means no analysis yet.
    static func analysis(_ value: JSONValue?, summaryKey: String) -> NormalizedCall.Analysis? {
        guard let value, !value.isNull else { return nil }
        var row = NormalizedCall.Analysis()
        guard let object = value.object else {
            row.summary = value.text
            return row
        }
        row.summary = object[summaryKey]?.text
        row.callCompletion = object["call_completion"]?.text
        row.callCompletionSummary = object["call_completion_summary"]?.text
        row.taskCompletion = object["task_completion"]?.text
        row.taskCompletionSummary = object["task_completion_summary"]?.text
        return row
    }

    /// A post-analysis value: strings as sent, other JSON as its text, null as nil.
    static func fieldValue(_ value: JSONValue) -> String? {
        if case .string(let s) = value { return s }
        return value.jsonColumn
    }
}
