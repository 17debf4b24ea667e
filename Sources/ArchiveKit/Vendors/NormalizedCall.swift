/// One call as the archive stores it: the `calls` row and its child rows.
/// Adapters build it from a vendor body; the store writes it in one transaction.
public struct NormalizedCall: Sendable, Equatable {
    public var provider: Provider
    public var callID: String
    public var status: String?
    public var direction: String?
    public var callType: String?
    public var fromNumber: String?
    public var toNumber: String?
    public var startedAt: String?
    public var endedAt: String?
    public var createdAt: String?
    public var scheduledFor: String?
    public var durationMs: Int64?
    public var assistantID: String?
    public var assistantName: String?
    public var voiceID: String?
    public var voiceName: String?
    public var threadID: String?
    public var conversationID: String?
    public var providerCallID: String?
    public var campaignID: String?
    public var answeredBy: String?
    public var sentiment: String?
    public var disconnectionReason: String?
    public var transcript: String?
    public var recordingURL: String?
    public var recordingEnabled: Bool?
    public var isBilled: Bool?
    /// What the vendor charged for the call, in US dollars (migration 0005).
    public var costUSD: Double?
    /// JSON text.
    public var metadata: String?
    /// JSON text.
    public var variables: String?
    /// True when the vendor will not change the call any more, so a later sync may skip it.
    public var isFinal: Bool
    /// The response body exactly as received.
    public var rawJSON: String
    /// Whether the body carries the call's ID itself (a sync accepts a body
    /// without one; a rebuild derives only from a body that names its call).
    public var bodyNamesCall = false
    public var turns: [Turn] = []
    public var analysis: Analysis?
    public var fields: [Field] = []

    public init(provider: Provider, callID: String, rawJSON: String) {
        self.provider = provider
        self.callID = callID
        self.rawJSON = rawJSON
        self.isFinal = false
    }

    public struct Turn: Sendable, Equatable {
        public var index: Int
        public var role: String?
        public var content: String?
        public var functionName: String?
        public var functionArgs: String?
        public var interrupted: Bool?
        /// JSON text.
        public var toolCalls: String?
        /// JSON text.
        public var words: String?
        /// JSON object text of any keys not mapped to a column.
        public var extra: String?
        public var latency: Latency?

        public init(index: Int) { self.index = index }
    }

    /// Per-turn timing, in the vendor's unit (seconds in PureTalk's reference).
    public struct Latency: Sendable, Equatable {
        public var latency: Double?
        public var eouDelay: Double?
        public var llmLatency: Double?
        public var ttsLatency: Double?

        public init(latency: Double? = nil, eouDelay: Double? = nil, llmLatency: Double? = nil, ttsLatency: Double? = nil) {
            self.latency = latency
            self.eouDelay = eouDelay
            self.llmLatency = llmLatency
            self.ttsLatency = ttsLatency
        }
    }

    public struct Analysis: Sendable, Equatable {
        public var summary: String?
        public var callCompletion: String?
        public var callCompletionSummary: String?
        public var taskCompletion: String?
        public var taskCompletionSummary: String?

        public init() {}
    }

    public struct Field: Sendable, Equatable {
        public var name: String
        /// A string as sent; any other JSON value as its JSON text; null as nil.
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }
}
