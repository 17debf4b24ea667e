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
    /// Writes a batch in one transaction, so that a call is stored whole or not
    /// at all. Returns the records that could not be stored because SQLite
    /// refused that call's rows (they are recorded as failures instead); any
    /// other database error aborts the whole batch.
    ///
    /// The batch is written first without a savepoint per call: a savepoint
    /// costs two statements and a copy of every page the call changes, and
    /// nearly every batch has no call SQLite refuses. Only if one is refused
    /// is the batch rolled back and written again, each call in its own
    /// savepoint, so that the refused call alone becomes a failure.
    @discardableResult
    public func save(_ batch: [SyncRecord], runID: Int64?, now: Date = Date()) async throws -> [SyncFailure] {
        let fetchedAt = Timestamp.format(now)
        do {
            return try await write { db in try Self.save(batch, runID: runID, fetchedAt: fetchedAt, savepoints: false, db: db) }
        } catch is CallRefused {
            return try await write { db in try Self.save(batch, runID: runID, fetchedAt: fetchedAt, savepoints: true, db: db) }
        }
    }

    /// Thrown out of a batch written without savepoints, to roll it back and write it again with them.
    private struct CallRefused: Error {}

    /// Without savepoints, each call's `calls` row is written as it comes and
    /// its children wait, to go in with the other calls' (`insertChildren`).
    private static func save(_ batch: [SyncRecord], runID: Int64?, fetchedAt: String, savepoints: Bool, db: Database) throws -> [SyncFailure] {
        var refused: [SyncFailure] = []
        var waiting = ChildBatch()
        func refusing<T>(_ work: () throws -> T) throws -> T {
            do { return try work() } catch let error as DatabaseError where isTheCallsOwn(error) { throw CallRefused() }
        }
        for record in batch {
            switch record {
            case .archived(let call) where !savepoints:
                // The same call again replaces the children of the first, which must be in by then.
                if waiting.holds(call) { try refusing { try insertChildren(waiting, db: db) }; waiting = ChildBatch() }
                let call = stamped(call, fetchedAt: fetchedAt)
                let callRef = try refusing { try storeCallRow(call, db: db) }
                waiting.append(call, callRef: callRef)
            case .archived(let call):
                do {
                    try db.inSavepoint {
                        try upsert(call, fetchedAt: fetchedAt, db: db)
                        return .commit
                    }
                } catch let error as DatabaseError where isTheCallsOwn(error) {
                    let failure = SyncFailure(provider: call.provider, callID: call.callID, httpStatus: 200,
                                              error: "the archive refused the call: \(error.message ?? "constraint failed")",
                                              attempts: 1, responseBody: call.rawJSON)
                    try recordFailure(failure, runID: runID, at: fetchedAt, db: db)
                    refused.append(failure)
                }
            case .failed(let failure):
                try recordFailure(failure, runID: runID, at: fetchedAt, db: db)
            case .recording(let row):
                try saveRecording(row, fetchedAt: fetchedAt, db: db)
            case .recordingFailed(let failure):
                try recordRecordingFailure(failure, runID: runID, at: fetchedAt, db: db)
            }
        }
        try refusing { try insertChildren(waiting, db: db) }
        return refused
    }

    /// SQLite refused the call's own rows (a constraint, a value too big); not a fault of the database.
    private static func isTheCallsOwn(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_CONSTRAINT || error.resultCode == .SQLITE_TOOBIG
    }

    /// Stores a call and replaces its derived rows. `clearingFailure` drops its
    /// `sync_failures` row, as a successful fetch should (a rebuild does not fetch).
    static func upsert(_ call: NormalizedCall, fetchedAt: String, db: Database, clearingFailure: Bool = true) throws {
        let call = stamped(call, fetchedAt: fetchedAt)
        let callRef = try storeCallRow(call, db: db, clearingFailure: clearingFailure)
        try insertChildren(ChildBatch(call, callRef: callRef), db: db)
    }

    /// Stores the (stamped) call's `calls` row and deletes its derived rows,
    /// for `insertChildren` to write again; returns its `id`.
    private static func storeCallRow(_ call: NormalizedCall, db: Database, clearingFailure: Bool = true) throws -> Int64 {
        // Most calls a sync writes are new: one probe then spares them the four
        // deletes, which would find nothing.
        let archived = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM calls WHERE provider = ? AND call_id = ?"),
                                         arguments: [call.provider, call.callID]) ?? false
        let callRef = try upsertRow(call, db: db)
        // Replace the children: a re-synced call keeps no stale turn or field.
        if archived { try deleteChildren(of: callRef, db: db) }
        if clearingFailure {
            try db.cachedStatement(sql: "DELETE FROM sync_failures WHERE provider = ? AND call_id = ?")
                .execute(arguments: [call.provider, call.callID])
        }
        return callRef
    }

    /// The call as stored: final by the archive's rule, fetched at `fetchedAt`.
    static func stamped(_ call: NormalizedCall, fetchedAt: String) -> NormalizedCall {
        var call = call.finalized(fetchedAt: fetchedAt)
        call.fetchedAt = fetchedAt
        return call
    }

    /// Inserts or updates the `calls` row and returns its `id`, which the upsert
    /// keeps, so the children point at it.
    static func upsertRow(_ call: NormalizedCall, db: Database) throws -> Int64 {
        guard let callRef = try Int64.fetchOne(db.cachedStatement(sql: NormalizedCall.upsertSQL), arguments: call.arguments())
        else { throw DatabaseError(message: "the call upsert returned no id") }
        return callRef
    }

    /// Every row derived from the call, beside `calls` (turn latencies go with their turns).
    static func deleteChildren(of callRef: Int64, db: Database) throws {
        let ref: StatementArguments = [callRef]
        try db.cachedStatement(sql: "DELETE FROM transcript_turns WHERE call_ref = ?").execute(arguments: ref)
        try db.cachedStatement(sql: "DELETE FROM call_analysis WHERE call_ref = ?").execute(arguments: ref)
        try db.cachedStatement(sql: "DELETE FROM post_analysis_fields WHERE call_ref = ?").execute(arguments: ref)
        try db.cachedStatement(sql: "DELETE FROM call_latency_samples WHERE call_ref = ?").execute(arguments: ref)
    }

    /// Inserts the calls' child rows (`ChildRows`, as the PostgreSQL writer
    /// takes them), each table's rows of all the calls together, in the few
    /// statements `TableRows.statementSizes` cuts them into. FTS5 flushes its
    /// pending entries to a new segment whenever a statement opens a
    /// savepoint, and every statement with a trigger or a foreign key opens
    /// one: one `INSERT` per turn made a segment per turn, and merging them was
    /// a third of a sync's instructions under callgrind; one per call still
    /// cost 11% of a sync's CPU (`perf`).
    static func insertChildren(_ batch: ChildBatch, db: Database) throws {
        guard !batch.isEmpty else { return }
        let callRef = { (row: [DatabaseValue]) in batch.callRef(ofChild: row).databaseValue }
        var turnRefs: [ChildBatch.TurnKey: Int64] = [:]
        for (sql, values) in batch.rows(\.turns).statements(parent: callRef) {
            for row in try Row.fetchAll(db.cachedStatement(sql: sql + " RETURNING id, call_ref, turn_index"),
                                        arguments: StatementArguments(databaseValues: values)) {
                turnRefs[ChildBatch.TurnKey(callRef: row[1], index: row[2])] = row[0]
            }
        }
        var rest = batch.rows(\.latencies).statements { row in
            guard let call = batch.callRef(ofChild: row), let index = ChildRows.turnIndex(ofLatency: row) else { return .null }
            return turnRefs[ChildBatch.TurnKey(callRef: call, index: index)].databaseValue
        }
        for rows in [batch.rows(\.analysis), batch.rows(\.fields), batch.rows(\.samples)] { rest += rows.statements(parent: callRef) }
        for (sql, values) in rest {
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(databaseValues: values))
        }
    }

    static func recordFailure(_ failure: SyncFailure, runID: Int64?, at time: String, db: Database) throws {
        try db.cachedStatement(sql: SyncFailure.upsertSQL).execute(arguments: failure.arguments(supplying: [time, runID]))
    }
}
