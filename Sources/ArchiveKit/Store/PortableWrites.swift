import Foundation
import GRDB

/// Runs one statement for `PortableWrites`: SQL with `?` placeholders, each
/// argument with the kind of column it fills (a store other than SQLite
/// numbers and types its placeholders from them). Returns the rows, decoded
/// by `resultKinds`.
public protocol StatementRunner {
    func run(_ statement: TransferQuery) async throws -> [[TransferValue]]
    /// An expression the call's upsert may return beside the row key, true
    /// when the row was inserted rather than updated (PostgreSQL: `xmax = 0`);
    /// nil when the store has none. A new call has no old rows to delete.
    var insertedRowExpression: String? { get }
}

/// A sync's writes for a store other than the SQLite one, in the same
/// statements the SQLite writer runs: the record types' own SQL (each table's
/// columns listed once, in `Records/`), so the two stores cannot write a call
/// differently. The SQLite store keeps its own path, on GRDB's cached
/// statements, which this one follows step by step.
public enum PortableWrites {
    /// Stores `call` and replaces its derived rows (its recordings stay), as
    /// `ArchiveStore.upsert` does; the caller holds the transaction and the call's savepoint.
    /// A sync clears the call's `sync_failures` (it has arrived); a rebuild, which fetched nothing, keeps them.
    public static func upsert(_ call: NormalizedCall, fetchedAt: String, keepingFailures: Bool = false,
                              on runner: some StatementRunner) async throws {
        let call = ArchiveStore.stamped(call, fetchedAt: fetchedAt)
        let inserted = runner.insertedRowExpression
        let returned = try await runner.run(statement(NormalizedCall.upsertSQL + (inserted.map { ", " + $0 } ?? ""), table: .calls,
                                                      columns: NormalizedCall.writtenColumns, values: call.databaseValues,
                                                      returning: inserted == nil ? [.integer] : [.integer, .boolean]))
        guard case .integer(let callRef)? = returned.first?.first else { throw PortableWriteError.noRowKey }
        let isNew = returned.first.map { $0.count > 1 && $0[1] == .integer(1) } ?? false
        for table in ["transcript_turns", "call_analysis", "post_analysis_fields", "call_latency_samples"] where !isNew {
            _ = try await runner.run(TransferQuery(sql: "DELETE FROM \(table) WHERE call_ref = ?", arguments: [.integer(callRef)],
                                                   argumentKinds: [.integer], resultKinds: []))
        }
        if !keepingFailures {
            _ = try await runner.run(TransferQuery(sql: "DELETE FROM sync_failures WHERE provider = ? AND call_id = ?",
                                                   arguments: [.text(call.provider.rawValue), .text(call.callID)],
                                                   argumentKinds: [.text, .text], resultKinds: []))
        }
        let parent: [DatabaseValue] = [callRef.databaseValue, call.provider.databaseValue, call.callID.databaseValue]
        var turnRefs: [Int: Int64] = [:]
        for rows in try await insert(NormalizedCall.Turn.self, .transcriptTurns, call.turns, returning: " RETURNING id, turn_index",
                                     kinds: [.integer, .integer], on: runner, { parent + $0.databaseValues }) {
            if case .integer(let id) = rows[0], case .integer(let index) = rows[1] { turnRefs[Int(index)] = id }
        }
        let latencies = call.turns.compactMap { turn in turn.latency.map { (turn.index, $0) } }
        _ = try await insert(NormalizedCall.Latency.self, .turnLatencies, latencies, on: runner) { index, latency in
            [turnRefs[index].databaseValue, call.provider.databaseValue, call.callID.databaseValue, index.databaseValue] + latency.databaseValues
        }
        _ = try await insert(NormalizedCall.Analysis.self, .callAnalysis, call.analysis.map { [$0] } ?? [], on: runner) { parent + $0.databaseValues }
        _ = try await insert(NormalizedCall.Field.self, .postAnalysisFields, Array(call.fields.enumerated()), on: runner) { item in
            parent + [item.offset.databaseValue] + item.element.databaseValues
        }
        _ = try await insert(NormalizedCall.LatencySample.self, .callLatencySamples, call.latencySamples, on: runner) { parent + $0.databaseValues }
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

    /// Multi-row `INSERT`s of `items` into `R`'s table, 500 rows a statement, as the SQLite writer makes them.
    private static func insert<R: ArchiveRecord, T>(_ record: R.Type, _ table: ArchiveTable, _ items: [T], returning: String = "",
                                                    kinds: [ColumnKind] = [], on runner: some StatementRunner,
                                                    _ values: (T) -> [DatabaseValue]) async throws -> [[TransferValue]] {
        let columnKinds = R.writtenColumns.map { table.column($0).kind }
        var returned: [[TransferValue]] = []
        for start in stride(from: 0, to: items.count, by: 500) {
            let chunk = items[start..<min(start + 500, items.count)]
            let arguments = chunk.flatMap { values($0).map(TransferValue.init) }
            returned += try await runner.run(TransferQuery(
                sql: R.makeInsertSQL(rows: chunk.count) + returning, arguments: arguments,
                argumentKinds: Array((0..<chunk.count).map { _ in columnKinds }.joined()), resultKinds: kinds))
        }
        return returned
    }
}

public enum PortableWriteError: Error, CustomStringConvertible {
    case noRowKey
    public var description: String { "the call's upsert returned no row key" }
}
