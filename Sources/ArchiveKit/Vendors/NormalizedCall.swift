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
    /// When the archive stored this version of the call; set by the store, nil before.
    public var fetchedAt: String?
    /// Whether the body carries the call's ID itself (a sync accepts a body
    /// without one; a rebuild derives only from a body that names its call).
    public var bodyNamesCall = false
    /// The adapter's word that the call has ended and only its analysis may
    /// still come; the store makes it final once it was fetched long enough
    /// after its end (`finalized(fetchedAt:)`), so it is not fetched forever.
    public var awaitingAnalysis = false
    public var turns: [Turn] = []
    public var analysis: Analysis?
    public var fields: [Field] = []
    /// Latency samples the vendor gives per call, tied to no turn (Retell, Vapi).
    public var latencySamples: [LatencySample] = []
    /// Retell's `recording_multi_channel_url`, for the download right after
    /// the Get Call; not a column (the raw body keeps it, and it expires).
    public var multichannelRecordingURL: String?

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

    /// One sample of a call-level latency series, in seconds, under the
    /// archive's metric vocabulary (see migration 0006).
    public struct LatencySample: Sendable, Equatable {
        public var metric: String
        /// From 0, the sample's place in the vendor's series.
        public var position: Int
        public var seconds: Double

        public init(metric: String, position: Int, seconds: Double) {
            self.metric = metric
            self.position = position
            self.seconds = seconds
        }
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

extension NormalizedCall {
    /// How long after its end a call's analysis may still come. Retell and
    /// PureTalk analyse a call within minutes of its end; a call fetched this
    /// long after it ended, still without analysis, will not get one.
    public static let analysisGrace: Duration = .seconds(12 * 3600)

    /// The call as stored when fetched at `fetchedAt`: final if the adapter
    /// says so, or if it awaits only an analysis and was fetched at least
    /// `analysisGrace` after it ended (or started, when no end is known).
    /// Rebuilds pass the stored `fetched_at`, so they decide the same way.
    public func finalized(fetchedAt: String) -> NormalizedCall {
        guard !isFinal, awaitingAnalysis, let end = (endedAt ?? startedAt).flatMap(Timestamp.microseconds(fromISO8601:)),
              let fetched = Timestamp.microseconds(fromISO8601: fetchedAt)
        else { return self }
        var call = self
        call.isFinal = fetched - end >= Int64(Self.analysisGrace.components.seconds) * 1_000_000
        return call
    }
}
