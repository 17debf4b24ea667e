import Foundation
import GRDB

/// What the sync hands the writer: a call or a recording to store, or a failure to record.
public enum SyncRecord: Sendable {
    case archived(NormalizedCall)
    case failed(SyncFailure)
    case recording(RecordingRow)
    case recordingFailed(RecordingFailure)
}

/// A call that could not be archived in this run, as recorded in `sync_failures`.
public struct SyncFailure: Sendable, Equatable {
    public var provider: Provider
    public var callID: String
    public var httpStatus: Int?
    public var error: String
    public var attempts: Int
    /// The 2xx body the archive refused, kept as received.
    public var responseBody: String?

    public init(provider: Provider, callID: String, httpStatus: Int?, error: String, attempts: Int, responseBody: String? = nil) {
        self.provider = provider
        self.callID = callID
        self.httpStatus = httpStatus
        self.error = error
        self.attempts = attempts
        self.responseBody = responseBody
    }
}

extension ArchiveStore {
    /// Writes a batch in one transaction, each call inside its own savepoint so
    /// a call is stored whole or not at all. Returns the records that could not
    /// be stored because SQLite refused that call's rows (they are recorded as
    /// failures instead); any other database error aborts the whole batch.
    @discardableResult
    public func save(_ batch: [SyncRecord], runID: Int64?, now: Date = Date()) async throws(StoreError) -> [SyncFailure] {
        let fetchedAt = Timestamp.format(now)
        do {
            return try await writer.write { db in
                var refused: [SyncFailure] = []
                for record in batch {
                    switch record {
                    case .archived(let call):
                        do {
                            try db.inSavepoint {
                                try Self.upsert(call, fetchedAt: fetchedAt, db: db)
                                return .commit
                            }
                        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT || error.resultCode == .SQLITE_TOOBIG {
                            let failure = SyncFailure(provider: call.provider, callID: call.callID, httpStatus: 200,
                                                      error: "the archive refused the call: \(error.message ?? "constraint failed")",
                                                      attempts: 1, responseBody: call.rawJSON)
                            try Self.recordFailure(failure, runID: runID, at: fetchedAt, db: db)
                            refused.append(failure)
                        }
                    case .failed(let failure):
                        try Self.recordFailure(failure, runID: runID, at: fetchedAt, db: db)
                    case .recording(let row):
                        try Self.saveRecording(row, fetchedAt: fetchedAt, db: db)
                    case .recordingFailed(let failure):
                        try Self.recordRecordingFailure(failure, runID: runID, at: fetchedAt, db: db)
                    }
                }
                return refused
            }
        } catch {
            throw StoreError(error, path: path ?? ":memory:")
        }
    }

    /// Stores a call and replaces its derived rows. `clearingFailure` drops its
    /// `sync_failures` row, as a successful fetch should (a rebuild does not fetch).
    static func upsert(_ call: NormalizedCall, fetchedAt: String, db: Database, clearingFailure: Bool = true) throws {
        let key: StatementArguments = [call.provider.rawValue, call.callID]
        // The upsert keeps the call's `id`, so the children below point at it.
        let upserted = try Int64.fetchOne(db.cachedStatement(sql: SQL.upsertCall), arguments: [
            call.provider.rawValue, call.callID, call.status, call.direction, call.callType,
            call.fromNumber, call.toNumber, call.startedAt, call.endedAt, call.createdAt, call.scheduledFor,
            call.durationMs, call.assistantID, call.assistantName, call.voiceID, call.voiceName,
            call.threadID, call.conversationID, call.providerCallID, call.campaignID, call.answeredBy,
            call.sentiment, call.disconnectionReason, call.transcript, call.recordingURL,
            call.recordingEnabled, call.isBilled, call.metadata, call.variables, call.isFinal,
            call.rawJSON, fetchedAt, call.costUSD,
        ])
        guard let callRef = upserted else { throw DatabaseError(message: "the call upsert returned no id") }
        let ref: StatementArguments = [callRef]
        // Replace the children: a re-synced call keeps no stale turn or field.
        try db.cachedStatement(sql: "DELETE FROM transcript_turns WHERE call_ref = ?").execute(arguments: ref)
        try db.cachedStatement(sql: "DELETE FROM call_analysis WHERE call_ref = ?").execute(arguments: ref)
        try db.cachedStatement(sql: "DELETE FROM post_analysis_fields WHERE call_ref = ?").execute(arguments: ref)
        if clearingFailure {
            try db.cachedStatement(sql: "DELETE FROM sync_failures WHERE provider = ? AND call_id = ?").execute(arguments: key)
        }

        let insertTurn = try db.cachedStatement(sql: SQL.insertTurn)
        let insertLatency = try db.cachedStatement(sql: SQL.insertLatency)
        for turn in call.turns {
            try insertTurn.execute(arguments: [
                callRef, call.provider.rawValue, call.callID, turn.index, turn.role, turn.content, turn.functionName,
                turn.functionArgs, turn.interrupted, turn.toolCalls, turn.words, turn.extra,
            ])
            if let l = turn.latency {
                try insertLatency.execute(arguments: [
                    db.lastInsertedRowID /* the turn's id */, call.provider.rawValue, call.callID, turn.index, l.latency, l.eouDelay, l.llmLatency, l.ttsLatency,
                ])
            }
        }
        if let a = call.analysis {
            try db.cachedStatement(sql: SQL.insertAnalysis).execute(arguments: [
                callRef, call.provider.rawValue, call.callID, a.summary, a.callCompletion, a.callCompletionSummary,
                a.taskCompletion, a.taskCompletionSummary,
            ])
        }
        let insertField = try db.cachedStatement(sql: SQL.insertField)
        for (position, field) in call.fields.enumerated() {
            try insertField.execute(arguments: [callRef, call.provider.rawValue, call.callID, position, field.name, field.value])
        }
    }

    static func recordFailure(_ failure: SyncFailure, runID: Int64?, at time: String, db: Database) throws {
        try db.cachedStatement(sql: SQL.upsertFailure).execute(arguments: [
            failure.provider.rawValue, failure.callID, failure.httpStatus, failure.error, failure.attempts, time, runID,
            failure.responseBody,
        ])
    }

    private enum SQL {
        static let callColumns = [
            "provider", "call_id", "status", "direction", "call_type", "from_number", "to_number",
            "started_at", "ended_at", "created_at", "scheduled_for", "duration_ms", "assistant_id",
            "assistant_name", "voice_id", "voice_name", "thread_id", "conversation_id", "provider_call_id",
            "campaign_id", "answered_by", "sentiment", "disconnection_reason", "transcript", "recording_url",
            "recording_enabled", "is_billed", "metadata", "variables", "is_final", "raw_json", "fetched_at",
            "cost_usd",
        ]
        static let upsertCall = upsert(table: "calls", columns: callColumns, key: ["provider", "call_id"]) + " RETURNING id"
        static let upsertFailure = upsert(
            table: "sync_failures",
            columns: ["provider", "call_id", "http_status", "error", "attempts", "last_attempt_at", "run_id", "response_body"],
            key: ["provider", "call_id"])
        static let insertTurn = insert(table: "transcript_turns", columns: [
            "call_ref", "provider", "call_id", "turn_index", "role", "content", "function_name", "function_args",
            "interrupted", "tool_calls", "words", "extra",
        ])
        static let insertLatency = insert(table: "turn_latencies", columns: [
            "turn_ref", "provider", "call_id", "turn_index", "latency", "eou_delay", "llm_latency", "tts_latency",
        ])
        static let insertAnalysis = insert(table: "call_analysis", columns: [
            "call_ref", "provider", "call_id", "summary", "call_completion", "call_completion_summary",
            "task_completion", "task_completion_summary",
        ])
        static let insertField = insert(table: "post_analysis_fields", columns: [
            "call_ref", "provider", "call_id", "position", "name", "value",
        ])

        static func insert(table: String, columns: [String]) -> String {
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        }

        /// An upsert keeps the row (and its rowid) and updates it in place;
        /// `INSERT OR REPLACE` would delete it first and cascade to its children.
        static func upsert(table: String, columns: [String], key: [String]) -> String {
            let updates = columns.filter { !key.contains($0) }.map { "\($0) = excluded.\($0)" }
            return insert(table: table, columns: columns)
                + " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))"
        }
    }
}
