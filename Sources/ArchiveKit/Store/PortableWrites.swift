import Foundation
import GRDB

/// Runs one statement for `PortableWrites`: SQL with `?` placeholders, each
/// argument with the kind of column it fills (a store other than SQLite
/// numbers and types its placeholders from them). Returns the rows, decoded
/// by `resultKinds`.
public protocol StatementRunner {
    func run(_ statement: TransferQuery) async throws -> [[TransferValue]]
    /// The store's SQL. PostgreSQL writes a new call in one statement (a
    /// data-modifying `WITH`), which SQLite has no form of.
    var dialect: TransferPlan.Dialect { get }
}

/// A sync's writes for a store other than the SQLite one, from the same
/// pieces the SQLite writer uses: the record types' own SQL (each table's
/// columns listed once, in `Records/`), so the two stores cannot write a call
/// differently. The SQLite store keeps its own path, on GRDB's cached
/// statements.
public enum PortableWrites {
    /// Stores `call` and replaces its derived rows (its recordings stay), as
    /// `ArchiveStore.upsert` does; the caller holds the transaction (and the call's savepoint, if any).
    /// A sync clears the call's `sync_failures` (it has arrived); a rebuild, which fetched nothing, keeps them.
    ///
    /// On PostgreSQL a call is one statement, one round trip: the upsert, and the
    /// children only if the upsert inserted the row. A call already archived
    /// (a re-sync, a rebuild, another machine's sync a moment earlier) then has
    /// its old children deleted and the new ones written by further statements:
    /// in one statement, the deletes would run after the inserts they make room for.
    public static func upsert(_ call: NormalizedCall, fetchedAt: String, keepingFailures: Bool = false,
                              on runner: some StatementRunner) async throws {
        let call = ArchiveStore.stamped(call, fetchedAt: fetchedAt)
        let children = ChildRows(call)
        let clearing = keepingFailures ? nil : clearFailure(of: call)
        if runner.dialect == .postgres, let statement = oneStatement(call, children, clearing: clearing) {
            let returned = try await runner.run(statement)
            guard case .integer(let callRef)? = returned.first?.first else { throw PortableWriteError.noRowKey }
            if returned[0].count > 1, returned[0][1] == .integer(1) { return }
            try await replaceChildren(children, callRef: callRef, on: runner)
            return
        }
        let returned = try await runner.run(statement(NormalizedCall.upsertSQL, table: .calls, columns: NormalizedCall.writtenColumns,
                                                      values: call.databaseValues, returning: [.integer]))
        guard case .integer(let callRef)? = returned.first?.first else { throw PortableWriteError.noRowKey }
        if let clearing { _ = try await runner.run(clearing) }
        try await replaceChildren(children, callRef: callRef, on: runner)
    }

    private static func clearFailure(of call: NormalizedCall) -> TransferQuery {
        TransferQuery(sql: "DELETE FROM sync_failures WHERE provider = ? AND call_id = ?",
                      arguments: [.text(call.provider.rawValue), .text(call.callID)], argumentKinds: [.text, .text], resultKinds: [])
    }

    /// Deletes the call's derived rows, then inserts `children`, each table's in multi-row `INSERT`s.
    private static func replaceChildren(_ children: ChildRows, callRef: Int64, on runner: some StatementRunner) async throws {
        for table in ["transcript_turns", "call_analysis", "post_analysis_fields", "call_latency_samples"] {
            _ = try await runner.run(TransferQuery(sql: "DELETE FROM \(table) WHERE call_ref = ?", arguments: [.integer(callRef)],
                                                   argumentKinds: [.integer], resultKinds: []))
        }
        var turnRefs: [Int64: Int64] = [:]
        for row in try await insert(children.turns, parent: { _ in .integer(callRef) }, returning: " RETURNING id, turn_index",
                                    kinds: [.integer, .integer], on: runner) {
            if case .integer(let id) = row[0], case .integer(let index) = row[1] { turnRefs[index] = id }
        }
        // A latency row's own values start with its provider, call ID and turn index.
        _ = try await insert(children.latencies, parent: { row in
            Int64.fromDatabaseValue(row[2]).flatMap { turnRefs[$0] }.map { .integer($0) } ?? .null
        }, on: runner)
        for rows in [children.analysis, children.fields, children.samples] {
            _ = try await insert(rows, parent: { _ in .integer(callRef) }, on: runner)
        }
    }

    /// The whole call as one data-modifying `WITH`, returning its row key and
    /// whether the upsert inserted it; each child `INSERT` takes its parent's key
    /// from the statement before it, and writes nothing unless the row is new.
    /// Nil when the call binds more values than one statement may.
    private static func oneStatement(_ call: NormalizedCall, _ children: ChildRows, clearing: TransferQuery?) -> TransferQuery? {
        // A row the upsert inserted has no deleting transaction: `xmax = 0`.
        var query = statement(NormalizedCall.upsertSQL + ", (xmax = 0) AS inserted", table: .calls, columns: NormalizedCall.writtenColumns,
                              values: call.databaseValues, returning: [.integer, .boolean])
        guard query.arguments.count + children.valueCount <= TransferPlan.maxArguments else { return nil }
        var sql = "WITH c AS (\(query.sql))"
        func append(_ name: String, _ piece: TransferQuery) {
            sql += ",\n\(name) AS (\(piece.sql))"
            query.arguments += piece.arguments
            query.argumentKinds += piece.argumentKinds
        }
        if let clearing { append("f", clearing) }
        // Each piece: its name, its rows, its parent's key, and where that key comes from.
        let pieces: [(String, TableRows, String, String)] = [
            ("t", children.turns, "c.id", "FROM c, (VALUES %@) AS v WHERE c.inserted RETURNING id, turn_index"),
            // column3 of a latency row is its turn index.
            ("l", children.latencies, "t.id", "FROM t JOIN (VALUES %@) AS v ON v.column3 = t.turn_index"),
            ("a", children.analysis, "c.id", "FROM c, (VALUES %@) AS v WHERE c.inserted"),
            ("p", children.fields, "c.id", "FROM c, (VALUES %@) AS v WHERE c.inserted"),
            ("s", children.samples, "c.id", "FROM c, (VALUES %@) AS v WHERE c.inserted"),
        ]
        for (name, rows, parent, from) in pieces where !rows.rows.isEmpty {
            let values = Array(repeating: "(\(CallFilter.placeholders(rows.kinds.count)))", count: rows.rows.count).joined(separator: ", ")
            append(name, TransferQuery(
                sql: "INSERT INTO \(rows.table.name) (\(rows.columns.joined(separator: ", "))) SELECT \(parent), v.* "
                    + from.replacingOccurrences(of: "%@", with: values),
                arguments: rows.rows.flatMap { $0.map(TransferValue.init) },
                argumentKinds: Array(Array(repeating: rows.kinds, count: rows.rows.count).joined()), resultKinds: []))
        }
        query.sql = sql + "\nSELECT id, inserted FROM c"
        return query
    }

    public static func recordFailure(_ failure: SyncFailure, runID: Int64?, at time: String, on runner: some StatementRunner) async throws {
        _ = try await runner.run(statement(SyncFailure.upsertSQL, table: .syncFailures, columns: SyncFailure.writtenColumns,
                                           values: [time.databaseValue, runID.databaseValue] + failure.databaseValues))
    }

    public static func saveRecording(_ row: RecordingRow, fetchedAt: String, on runner: some StatementRunner) async throws {
        var row = row
        row.fetchedAt = fetchedAt
        _ = try await runner.run(statement(RecordingRow.upsertSQL, table: .recordings,
                                           columns: RecordingRow.Columns.allCases.map(\.rawValue) + ["provider", "call_id"],
                                           values: row.databaseValues + [row.provider.databaseValue, row.callID.databaseValue]))
        _ = try await runner.run(TransferQuery(sql: "DELETE FROM recording_failures WHERE provider = ? AND call_id = ? AND variant = ?",
                                               arguments: [.text(row.provider.rawValue), .text(row.callID), .text(row.variant.rawValue)],
                                               argumentKinds: [.text, .text, .text], resultKinds: []))
    }

    public static func recordRecordingFailure(_ failure: RecordingFailure, runID: Int64?, at time: String,
                                              on runner: some StatementRunner) async throws {
        _ = try await runner.run(statement(RecordingFailure.upsertSQL, table: .recordingFailures, columns: RecordingFailure.writtenColumns,
                                           values: [time.databaseValue, runID.databaseValue] + failure.databaseValues))
    }

    /// A run's start; the statement returns its `run_id`.
    public static func beginRun(provider: Provider, baseURL: String, source: String, at date: Date) -> TransferQuery {
        TransferQuery(sql: "INSERT INTO sync_runs (provider, base_url, source, started_at) VALUES (?, ?, ?, ?) RETURNING run_id",
                      arguments: [.text(provider.rawValue), .text(baseURL), .text(source), .text(Timestamp.format(date))],
                      argumentKinds: [.text, .text, .text, .time], resultKinds: [.integer])
    }

    public static func finishRun(_ runID: Int64, counts: SyncCounts, outcome: String, at date: Date) -> TransferQuery {
        var query = statement(SyncCounts.finishSQL, table: .syncRuns, columns: SyncCounts.writtenColumns,
                              values: [Timestamp.format(date).databaseValue, outcome.databaseValue] + counts.databaseValues)
        query.arguments.append(.integer(runID))
        query.argumentKinds.append(.integer)
        return query
    }

    /// One statement of a record's SQL, its arguments typed by the columns they fill.
    private static func statement(_ sql: String, table: ArchiveTable, columns: [String], values: [DatabaseValue],
                                  returning: [ColumnKind] = []) -> TransferQuery {
        TransferQuery(sql: sql, arguments: values.map(TransferValue.init), argumentKinds: columns.map { table.column($0).kind },
                      resultKinds: returning)
    }

    /// Multi-row `INSERT`s of `rows`, 500 a statement as the SQLite writer makes them, each row led by its parent's key.
    private static func insert(_ rows: TableRows, parent: ([DatabaseValue]) -> TransferValue, returning: String = "",
                               kinds: [ColumnKind] = [], on runner: some StatementRunner) async throws -> [[TransferValue]] {
        let columnKinds = [rows.table.column(rows.columns[0]).kind] + rows.kinds
        var returned: [[TransferValue]] = []
        for start in stride(from: 0, to: rows.rows.count, by: 500) {
            let chunk = rows.rows[start..<min(start + 500, rows.rows.count)]
            returned += try await runner.run(TransferQuery(
                sql: rows.insertSQL(chunk.count) + returning,
                arguments: chunk.flatMap { [parent($0)] + $0.map(TransferValue.init) },
                argumentKinds: Array(Array(repeating: columnKinds, count: chunk.count).joined()), resultKinds: kinds))
        }
        return returned
    }
}

/// One child table's rows of a call, each row's values after its parent's key
/// (`call_ref`, or a latency's `turn_ref`), which the writer supplies.
struct TableRows {
    let table: ArchiveTable
    /// Every column written, the parent's key first.
    let columns: [String]
    let rows: [[DatabaseValue]]
    /// The kinds of the values in `rows`.
    let kinds: [ColumnKind]
    /// The record type's multi-row `INSERT … VALUES`, for a number of rows.
    let insertSQL: (Int) -> String

    init<R: ArchiveRecord>(_ record: R.Type, _ table: ArchiveTable, _ rows: [[DatabaseValue]]) {
        self.table = table
        columns = R.writtenColumns
        insertSQL = R.makeInsertSQL(rows:)
        self.rows = rows
        kinds = columns.dropFirst().map { table.column($0).kind }
    }
}

/// Every row a call derives, beside its `calls` row.
struct ChildRows {
    let turns, latencies, analysis, fields, samples: TableRows

    init(_ call: NormalizedCall) {
        let parent: [DatabaseValue] = [call.provider.databaseValue, call.callID.databaseValue]
        turns = TableRows(NormalizedCall.Turn.self, .transcriptTurns, call.turns.map { parent + $0.databaseValues })
        latencies = TableRows(NormalizedCall.Latency.self, .turnLatencies, call.turns.compactMap { turn in
            turn.latency.map { parent + [turn.index.databaseValue] + $0.databaseValues }
        })
        analysis = TableRows(NormalizedCall.Analysis.self, .callAnalysis, call.analysis.map { [parent + $0.databaseValues] } ?? [])
        fields = TableRows(NormalizedCall.Field.self, .postAnalysisFields,
                           call.fields.enumerated().map { parent + [$0.offset.databaseValue] + $0.element.databaseValues })
        samples = TableRows(NormalizedCall.LatencySample.self, .callLatencySamples, call.latencySamples.map { parent + $0.databaseValues })
    }

    /// Values the rows bind, with a parent key each.
    var valueCount: Int {
        [turns, latencies, analysis, fields, samples].reduce(0) { $0 + $1.rows.count * $1.columns.count }
    }
}

public enum PortableWriteError: Error, CustomStringConvertible {
    case noRowKey
    public var description: String { "the call's upsert returned no row key" }
}
