import GRDB

// The call and its child rows, each the one type that writes and reads its table.

extension NormalizedCall: ArchiveRecord {
    static let databaseTableName = "calls"

    /// `calls`, in the table's order, without the local `id` (SQLite assigns
    /// it on insert and the upsert returns it).
    enum Columns: String, CaseIterable, ColumnExpression {
        case provider, callID = "call_id", status, direction, callType = "call_type", fromNumber = "from_number",
             toNumber = "to_number", startedAt = "started_at", endedAt = "ended_at", createdAt = "created_at",
             scheduledFor = "scheduled_for", durationMs = "duration_ms", assistantID = "assistant_id",
             assistantName = "assistant_name", voiceID = "voice_id", voiceName = "voice_name", threadID = "thread_id",
             conversationID = "conversation_id", providerCallID = "provider_call_id", campaignID = "campaign_id",
             answeredBy = "answered_by", sentiment, disconnectionReason = "disconnection_reason", transcript,
             recordingURL = "recording_url", recordingEnabled = "recording_enabled", isBilled = "is_billed",
             metadata, variables, isFinal = "is_final", rawJSON = "raw_json", fetchedAt = "fetched_at",
             costUSD = "cost_usd"
    }

    static let jsonColumns: Set<Columns> = [.metadata, .variables]
    static let upsertSQL = makeUpsertSQL(conflict: [.provider, .callID]) + " RETURNING id"
    /// The upsert's conflict clause alone, for rows from elsewhere than `VALUES` (`NewCallsStatement`).
    static let upsertConflict = makeConflictClause([.provider, .callID])

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .provider: provider
        case .callID: callID
        case .status: status
        case .direction: direction
        case .callType: callType
        case .fromNumber: fromNumber
        case .toNumber: toNumber
        case .startedAt: startedAt
        case .endedAt: endedAt
        case .createdAt: createdAt
        case .scheduledFor: scheduledFor
        case .durationMs: durationMs
        case .assistantID: assistantID
        case .assistantName: assistantName
        case .voiceID: voiceID
        case .voiceName: voiceName
        case .threadID: threadID
        case .conversationID: conversationID
        case .providerCallID: providerCallID
        case .campaignID: campaignID
        case .answeredBy: answeredBy
        case .sentiment: sentiment
        case .disconnectionReason: disconnectionReason
        case .transcript: transcript
        case .recordingURL: recordingURL
        case .recordingEnabled: recordingEnabled
        case .isBilled: isBilled
        case .metadata: metadata
        case .variables: variables
        case .isFinal: isFinal
        case .rawJSON: rawJSON
        case .fetchedAt: fetchedAt
        case .costUSD: costUSD
        }
    }

    /// The `calls` row alone; the store attaches turns, analysis and fields.
    public init(row: Row) throws {
        self.init(provider: try Provider.fromDatabase(row[Columns.provider]), callID: row[Columns.callID], rawJSON: row[Columns.rawJSON])
        status = row[Columns.status]
        direction = row[Columns.direction]
        callType = row[Columns.callType]
        fromNumber = row[Columns.fromNumber]
        toNumber = row[Columns.toNumber]
        startedAt = row[Columns.startedAt]
        endedAt = row[Columns.endedAt]
        createdAt = row[Columns.createdAt]
        scheduledFor = row[Columns.scheduledFor]
        durationMs = row[Columns.durationMs]
        assistantID = row[Columns.assistantID]
        assistantName = row[Columns.assistantName]
        voiceID = row[Columns.voiceID]
        voiceName = row[Columns.voiceName]
        threadID = row[Columns.threadID]
        conversationID = row[Columns.conversationID]
        providerCallID = row[Columns.providerCallID]
        campaignID = row[Columns.campaignID]
        answeredBy = row[Columns.answeredBy]
        sentiment = row[Columns.sentiment]
        disconnectionReason = row[Columns.disconnectionReason]
        transcript = row[Columns.transcript]
        recordingURL = row[Columns.recordingURL]
        recordingEnabled = row[Columns.recordingEnabled]
        isBilled = row[Columns.isBilled]
        metadata = row[Columns.metadata]
        variables = row[Columns.variables]
        isFinal = row[Columns.isFinal]
        fetchedAt = row[Columns.fetchedAt]
        costUSD = row[Columns.costUSD]
    }
}

extension Provider {
    /// A stored provider name this build knows, or a `StoreError` saying the archive is newer.
    static func fromDatabase(_ name: String) throws -> Provider {
        guard let provider = Provider(rawValue: name) else {
            throw StoreError.sqlite(path: "the archive", message: "a call of an unknown provider \(name.debugDescription); upgrade archive to read it")
        }
        return provider
    }
}

extension NormalizedCall.Turn: ArchiveRecord {
    static let databaseTableName = "transcript_turns"
    static let suppliedColumns = ["call_ref", "provider", "call_id"]

    /// `transcript_turns` after its keys (`id`, `call_ref`, `provider`, `call_id`).
    enum Columns: String, CaseIterable, ColumnExpression {
        case index = "turn_index", role, content, functionName = "function_name", functionArgs = "function_args",
             interrupted, toolCalls = "tool_calls", words, extra
    }

    static let jsonColumns: Set<Columns> = [.toolCalls, .words, .extra]

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .index: index
        case .role: role
        case .content: content
        case .functionName: functionName
        case .functionArgs: functionArgs
        case .interrupted: interrupted
        case .toolCalls: toolCalls
        case .words: words
        case .extra: extra
        }
    }

    /// A turn; with its latency when the row also holds `turn_latencies`' columns (a join).
    public init(row: Row) throws {
        self.init(index: row[Columns.index])
        role = row[Columns.role]
        content = row[Columns.content]
        functionName = row[Columns.functionName]
        functionArgs = row[Columns.functionArgs]
        interrupted = row[Columns.interrupted]
        toolCalls = row[Columns.toolCalls]
        words = row[Columns.words]
        extra = row[Columns.extra]
        if row.hasColumn(NormalizedCall.Latency.Columns.latency.rawValue) {
            let latency = try NormalizedCall.Latency(row: row)
            self.latency = latency == NormalizedCall.Latency() ? nil : latency
        }
    }
}

extension NormalizedCall.Latency: ArchiveRecord {
    static let databaseTableName = "turn_latencies"
    static let suppliedColumns = ["turn_ref", "provider", "call_id", "turn_index"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case latency, eouDelay = "eou_delay", llmLatency = "llm_latency", ttsLatency = "tts_latency"
    }

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .latency: latency
        case .eouDelay: eouDelay
        case .llmLatency: llmLatency
        case .ttsLatency: ttsLatency
        }
    }

    public init(row: Row) throws {
        self.init(latency: row[Columns.latency], eouDelay: row[Columns.eouDelay], llmLatency: row[Columns.llmLatency],
                  ttsLatency: row[Columns.ttsLatency])
    }
}

extension NormalizedCall.Analysis: ArchiveRecord {
    static let databaseTableName = "call_analysis"
    static let suppliedColumns = ["call_ref", "provider", "call_id"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case summary, callCompletion = "call_completion", callCompletionSummary = "call_completion_summary",
             taskCompletion = "task_completion", taskCompletionSummary = "task_completion_summary"
    }

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .summary: summary
        case .callCompletion: callCompletion
        case .callCompletionSummary: callCompletionSummary
        case .taskCompletion: taskCompletion
        case .taskCompletionSummary: taskCompletionSummary
        }
    }

    public init(row: Row) throws {
        self.init()
        summary = row[Columns.summary]
        callCompletion = row[Columns.callCompletion]
        callCompletionSummary = row[Columns.callCompletionSummary]
        taskCompletion = row[Columns.taskCompletion]
        taskCompletionSummary = row[Columns.taskCompletionSummary]
    }
}

extension NormalizedCall.Field: ArchiveRecord {
    static let databaseTableName = "post_analysis_fields"
    static let suppliedColumns = ["call_ref", "provider", "call_id", "position"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case name, value
    }

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .name: name
        case .value: value
        }
    }

    public init(row: Row) throws {
        self.init(name: row[Columns.name], value: row[Columns.value])
    }
}

extension NormalizedCall.LatencySample: ArchiveRecord {
    static let databaseTableName = "call_latency_samples"
    static let suppliedColumns = ["call_ref", "provider", "call_id"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case metric, position, seconds
    }

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .metric: metric
        case .position: position
        case .seconds: seconds
        }
    }

    public init(row: Row) throws {
        self.init(metric: row[Columns.metric], position: row[Columns.position], seconds: row[Columns.seconds])
    }
}
