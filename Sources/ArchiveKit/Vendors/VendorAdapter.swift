/// One vendor's API: everything the archive knows about it, in one folder
/// under `Vendors/` (its facts, Get Call body contract and decoding, List
/// Calls paging, recording rules), and one line in `Provider.adapter`.
/// Nothing else in the engine asks which vendor it has.
///
/// Decoding checks the body against the vendor's documented `BodyContract`
/// first: a documented field of another type fails the call, naming the field.
/// Past that it is lenient: any field may be missing or null, and unknown
/// fields are ignored (the raw body keeps them).
public protocol VendorAdapter: Sendable {
    var provider: Provider { get }
    /// The vendor's own name, for messages.
    var displayName: String { get }
    /// The documented production base URL; `--base-url` overrides it.
    var defaultBaseURL: String { get }
    /// The environment variable the API key is read from.
    var apiKeyVariable: String { get }
    /// The header that carries the key, as the vendor documents it.
    func authorization(apiKey: String) -> (name: String, value: String)

    /// The Get Call URL for `id` (already a safe path segment once encoded by `BaseURL.encodePathSegment`).
    func callURL(_ id: String, base: BaseURL) -> String
    func decode(body: String, requestedID: String) throws(DecodeError) -> NormalizedCall

    /// List Calls: the request for the first page of `query`.
    func firstPage(base: BaseURL, query: ListingQuery) -> PageRequest
    /// The request for the page that `next` (from the previous page) names; refuses one that would take the key elsewhere.
    func nextPage(_ next: String, base: BaseURL, query: ListingQuery) throws(ListingError) -> PageRequest
    func parsePage(_ body: String) throws(ListingError) -> ListedPage

    /// Where a call's recording is downloaded from (the key goes along only
    /// to the API's own origin), given the link its body carries (stored in
    /// `calls.recording_url`); nil when the call has none.
    func recordingLink(callID: String, bodyLink: String?, base: BaseURL) -> String?

    /// The two-party recording (each party on its own channel) and where to
    /// download it, for a call just fetched; nil when the vendor offers none.
    func twoPartyRecording(of call: NormalizedCall, base: BaseURL) -> (variant: RecordingVariant, link: String)?
}

extension VendorAdapter {
    /// Most vendors link the recording in the Get Call body.
    public func recordingLink(callID: String, bodyLink: String?, base: BaseURL) -> String? { bodyLink }

    /// PureTalk and PuppeteerAI document no two-party recording.
    public func twoPartyRecording(of call: NormalizedCall, base: BaseURL) -> (variant: RecordingVariant, link: String)? { nil }
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

    /// A flat call body, opened the way PuppeteerAI, Retell and Vapi need: an
    /// object without `idKey` but with one of `errorKeys` is the vendor's error,
    /// not a call; then the contract, then the ID. Returns the call object and
    /// a call with its provider, ID and raw body, and whether the body named it.
    func openFlatCall(_ body: String, requestedID: String, idKey: String, errorKeys: [String],
                      contract: BodyContract) throws(DecodeError) -> (JSONObject, NormalizedCall) {
        let call = try parseObject(body)
        if call[idKey] == nil, let message = errorKeys.lazy.compactMap({ call[$0] }).first {
            throw .notACall("\(displayName) reported an error: \(message.text ?? "no message")")
        }
        try contract.check(.object(call))
        var out = NormalizedCall(provider: provider, callID: requestedID, rawJSON: body)
        out.bodyNamesCall = try checkID(call[idKey], requestedID: requestedID)
        return (call, out)
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
    /// A transcript entry: the columns the vendors share, plus any other keys
    /// kept as `extra`. `aliases` names a vendor's own key for a column key
    /// (Retell's `name` for `function_name`, say); an aliased key is not kept
    /// in `extra` as well.
    static func turn(_ value: JSONValue, index: Int, aliases: [String: String] = [:]) -> NormalizedCall.Turn {
        var turn = NormalizedCall.Turn(index: index)
        guard var object = value.object else {
            turn.content = value.text
            return turn
        }
        if !aliases.isEmpty {
            object = JSONObject(object.members.map { (aliases[$0.key] ?? $0.key, $0.value) })
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
        let rest = object.members.filter { !known.contains($0.key) }
        if !rest.isEmpty { turn.extra = JSONValue.object(JSONObject(rest)).jsonText }
        return turn
    }

    static func turns(_ value: JSONValue?) -> [NormalizedCall.Turn] {
        guard let items = value?.array else { return [] }
        return items.enumerated().map { turn($1, index: $0) }
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

    /// Every analysis key but the summary, with nested objects flattened one
    /// level as `parent.child` (Retell's `custom_analysis_data.<key>`).
    static func flattenedFields(_ analysis: JSONObject, excluding summaryKey: String) -> [NormalizedCall.Field] {
        var fields: [NormalizedCall.Field] = []
        for (key, value) in analysis.members where key != summaryKey {
            if let nested = value.object, !nested.members.isEmpty {
                for (child, childValue) in nested.members {
                    fields.append(.init(name: key + "." + child, value: fieldValue(childValue)))
                }
            } else {
                fields.append(.init(name: key, value: fieldValue(value)))
            }
        }
        return fields
    }

    /// A post-analysis value: strings as sent, other JSON as its text, null as nil.
    static func fieldValue(_ value: JSONValue) -> String? {
        if case .string(let s) = value { return s }
        return value.jsonColumn
    }
}
