import Foundation
import GRDB

extension ArchiveStore {
    /// Re-derives every normalized table (calls' columns, turns, latencies,
    /// analysis, fields, and the full-text indexes) from `calls.raw_json`,
    /// with no network: a new column or a fixed adapter applies to every
    /// archived call. Keeps `fetched_at`, the local `id` (so recordings stay
    /// attached) and `sync_failures`.
    ///
    /// All in one transaction, so an interrupted rebuild leaves the archive as
    /// it was (and a pending one runs again). Readers go on meanwhile; another
    /// writer waits for it. Only what comes out different is written: reading
    /// a call's rows costs far less than rewriting them and their index
    /// entries, and a migration that adds one column changes the `calls` rows
    /// alone (issue 15).
    @discardableResult
    public func rebuild(batchSize: Int = 500, suspendIndexingAfter threshold: Int = SearchIndexing.threshold,
                        progress: (@Sendable (Int) -> Void)? = nil) throws -> RebuildReport {
        try write { db in
            var report = RebuildReport()
            var indexing = SearchIndexing(db, threshold: threshold)
            var after: Int64 = 0
            while true {
                let rows = try Self.rows(db, RebuildStatements.page(after: after, limit: batchSize, in: TransferPlan(.sqlite)))
                    .compactMap(RebuildStatements.StoredCall.init(values:))
                for row in rows {
                    after = row.id
                    guard let call = report.derive(row) else { continue }
                    try Self.rederive(call, callRef: row.id, fetchedAt: row.fetchedAt, indexing: &indexing, db: db)
                    report.calls += 1
                }
                progress?(report.calls)
                guard rows.count == batchSize else { break }
            }
            try indexing.resume()
            try Self.execute(db, RebuildStatements.finished)
            return report
        }
    }

    /// Writes what `call` derives that differs from what is stored under
    /// `callRef`: the `calls` row, and the child rows (all of them, if any differs).
    /// A comparison that misses an equality only costs a rewrite.
    static func rederive(_ call: NormalizedCall, callRef: Int64, fetchedAt: String, indexing: inout SearchIndexing,
                         db: Database) throws {
        let call = stamped(call, fetchedAt: fetchedAt)
        let stored = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(NormalizedCall.selectOwnColumns()) FROM calls WHERE id = ?"),
                                      arguments: [callRef])
        if stored.map({ Array($0.databaseValues) }) != call.databaseValues {
            _ = try upsertRow(call, db: db)
        }
        guard try storedChildren(of: callRef, db: db) != derivedChildren(of: call) else { return }
        try indexing.suspendIfWorthIt()
        try deleteChildren(of: callRef, db: db)
        try insertChildren(ChildBatch(call, callRef: callRef), db: db)
    }

    /// A call's child rows as stored, table by table, in a fixed order, without their local keys.
    private static func storedChildren(of callRef: Int64, db: Database) throws -> [[[DatabaseValue]]] {
        typealias C = NormalizedCall
        let queries = [
            "SELECT \(C.Turn.selectOwnColumns()) FROM transcript_turns WHERE call_ref = ? ORDER BY turn_index",
            """
            SELECT t.turn_index, \(C.Latency.selectOwnColumns(alias: "l")) FROM turn_latencies l
            JOIN transcript_turns t ON t.id = l.turn_ref WHERE t.call_ref = ? ORDER BY t.turn_index
            """,
            "SELECT \(C.Analysis.selectOwnColumns()) FROM call_analysis WHERE call_ref = ?",
            "SELECT position, \(C.Field.selectOwnColumns()) FROM post_analysis_fields WHERE call_ref = ? ORDER BY position",
            "SELECT \(C.LatencySample.selectOwnColumns()) FROM call_latency_samples WHERE call_ref = ? ORDER BY metric, position",
        ]
        return try queries.map { sql in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [callRef]).map { Array($0.databaseValues) }
        }
    }

    /// The same rows as `call` derives them, in the same order.
    private static func derivedChildren(of call: NormalizedCall) -> [[[DatabaseValue]]] {
        [
            call.turns.map(\.databaseValues),
            call.turns.compactMap { turn in turn.latency.map { [turn.index.databaseValue] + $0.databaseValues } },
            call.analysis.map { [$0.databaseValues] } ?? [],
            call.fields.enumerated().map { [$0.databaseValue] + $1.databaseValues },
            call.latencySamples.sorted { ($0.metric, $0.position) < ($1.metric, $1.position) }.map(\.databaseValues),
        ]
    }

    /// The triggers that feed the full-text indexes, suspended once a rebuild
    /// has rewritten enough calls' turns that one rebuild of each index from
    /// its content table costs less than removing and re-adding every turn's
    /// words. `resume()` rebuilds the indexes and restores the triggers as the
    /// migrations wrote them (their SQL is read back from the schema, so the
    /// migrations stay their only source). Inside the caller's transaction.
    public struct SearchIndexing {
        /// Rewritten calls after which suspending is assumed to pay. An estimate, not
        /// a measurement: rebuilding both indexes took 0.8 s of CPU on 20,000 calls
        /// and grows with the archive, which this fixed count does not follow.
        public static let threshold = 1_000
        private let db: Database
        private let threshold: Int
        private var rewritten = 0
        /// Once suspended: the indexes to rebuild and the triggers to restore.
        private var suspended: (indexes: [String], triggers: [(name: String, sql: String)])? = nil

        init(_ db: Database, threshold: Int) {
            self.db = db
            self.threshold = threshold
        }

        mutating func suspendIfWorthIt() throws {
            rewritten += 1
            guard suspended == nil, rewritten >= threshold else { return }
            let indexes = try Self.indexes(db)
            let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                .map { (name: $0["name"] as String, sql: $0["sql"] as String) }
                .filter { trigger in indexes.contains { trigger.sql.contains($0) } }
            for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger.name.quotedDatabaseIdentifier)") }
            suspended = (indexes, triggers)
        }

        func resume() throws {
            guard let suspended else { return }
            for index in suspended.indexes {
                let name = index.quotedDatabaseIdentifier
                try db.execute(sql: "INSERT INTO \(name) (\(name)) VALUES ('rebuild')")
            }
            for trigger in suspended.triggers { try db.execute(sql: trigger.sql) }
        }

        private static func indexes(_ db: Database) throws -> [String] {
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%'
                """)
        }
    }

    /// Runs a rebuild a migration asked for (`pending_work`), if any.
    func runPendingWork() throws {
        let pending = try read { db in try !Self.rows(db, RebuildStatements.pending).isEmpty }
        if pending { try rebuild() }
    }
}
