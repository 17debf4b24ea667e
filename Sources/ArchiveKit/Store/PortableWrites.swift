import Foundation
import GRDB

/// Runs one statement for `PortableWrites`: SQL with `?` placeholders, each
/// argument with the kind of column it fills (a store other than SQLite
/// numbers and types its placeholders from them). Returns the rows, decoded
/// by `resultKinds`.
public protocol StatementRunner {
    func run(_ statement: TransferQuery) async throws -> [[TransferValue]]
    /// Runs new calls' one statement (prepared, as its text never changes):
    /// each call's row key, and whether the upsert inserted the row.
    func runNewCalls(_ statement: NewCallsStatement) async throws -> [NewCallsStatement.Written]
}

/// A sync's writes for a store other than the SQLite one, from the same
/// pieces the SQLite writer uses: the record types' own SQL (each table's
/// columns listed once, in `Records/`) and a call's rows as `ChildRows` makes
/// them, so the two stores cannot write a call differently. The SQLite store
/// runs its statements itself, on GRDB's cached statements.
public enum PortableWrites {
    /// Stores `calls` and replaces their derived rows (their recordings stay),
    /// as `ArchiveStore.upsert` does, in the order given (a batch's lock
    /// order); the caller holds the transaction (and a call's savepoint, if
    /// any). A sync clears each call's `sync_failures` (it has arrived); a
    /// rebuild, which fetched nothing, keeps them.
    ///
    /// New calls are one statement, one round trip, for up to
    /// `NewCallsStatement.maximumCalls` of them. A call already archived (a
    /// re-sync, a rebuild, another machine's sync a moment earlier) then has
    /// its old children deleted and the new ones written by further
    /// statements: in one statement, the deletes would run after the inserts
    /// they make room for. So does a call with a value of another kind than
    /// its column's, which the typed statement cannot bind.
    public static func upsert(_ calls: [NormalizedCall], fetchedAt: String, keepingFailures: Bool = false,
                              on runner: some StatementRunner) async throws {
        try await upsert(calls.map { ($0, fetchedAt) }, keepingFailures: keepingFailures, on: runner)
    }

    /// `upsert`, each call with its own `fetched_at` (a rebuild keeps each call's).
    public static func upsert(_ calls: [(call: NormalizedCall, fetchedAt: String)], keepingFailures: Bool,
                              on runner: some StatementRunner) async throws {
        var statement = NewCallsStatement(clearing: !keepingFailures)
        var held: [(call: NormalizedCall, children: ChildRows)] = []
        func flush() async throws {
            guard !held.isEmpty else { return }
            let written = try await runner.runNewCalls(statement)
            let byKey = Dictionary(written.map { (CallKey(provider: $0.provider, callID: $0.callID), $0) }, uniquingKeysWith: { first, _ in first })
            for (call, children) in held {
                guard let row = byKey[CallKey(call)] else { throw PortableWriteError.noRowKey }
                if !row.inserted { try await replaceChildren(children, callRef: row.callRef, on: runner) }
            }
            statement = NewCallsStatement(clearing: !keepingFailures)
            held = []
        }
        for (call, fetchedAt) in calls {
            let call = ArchiveStore.stamped(call, fetchedAt: fetchedAt)
            let children = ChildRows(call)
            if statement.isFull || statement.holds(call) { try await flush() }
            if statement.append(call, children) {
                held.append((call, children))
            } else {
                try await flush()
                try await upsertOne(call, children, keepingFailures: keepingFailures, on: runner)
            }
        }
        try await flush()
    }

    /// A call whose values the typed statement cannot bind, in statements that cast each one.
    private static func upsertOne(_ call: NormalizedCall, _ children: ChildRows, keepingFailures: Bool,
                                  on runner: some StatementRunner) async throws {
        let returned = try await runner.run(statement(NormalizedCall.upsertSQL, table: .calls, columns: NormalizedCall.writtenColumns,
                                                      values: call.databaseValues, returning: [.integer]))
        guard case .integer(let callRef)? = returned.first?.first else { throw PortableWriteError.noRowKey }
        if !keepingFailures { _ = try await runner.run(clearFailure(of: call)) }
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
        for row in try await insert(children.turns, parent: { _ in callRef.databaseValue }, returning: " RETURNING id, turn_index",
                                    kinds: [.integer, .integer], on: runner) {
            if case .integer(let id) = row[0], case .integer(let index) = row[1] { turnRefs[index] = id }
        }
        _ = try await insert(children.latencies, parent: { row in
            ChildRows.turnIndex(ofLatency: row).flatMap { turnRefs[$0] }.databaseValue
        }, on: runner)
        for rows in [children.analysis, children.fields, children.samples] {
            _ = try await insert(rows, parent: { _ in callRef.databaseValue }, on: runner)
        }
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

    /// The multi-row `INSERT`s of `rows`, as the SQLite writer runs them.
    private static func insert(_ rows: TableRows, parent: ([DatabaseValue]) -> DatabaseValue, returning: String = "",
                               kinds: [ColumnKind] = [], on runner: some StatementRunner) async throws -> [[TransferValue]] {
        let columnKinds = [rows.table.column(rows.columns[0]).kind] + rows.kinds
        var returned: [[TransferValue]] = []
        for (sql, values) in rows.statements(parent: parent) {
            returned += try await runner.run(TransferQuery(
                sql: sql + returning, arguments: values.map(TransferValue.init),
                argumentKinds: Array(Array(repeating: columnKinds, count: values.count / columnKinds.count).joined()), resultKinds: kinds))
        }
        return returned
    }
}

/// A child table as the writers see it: the columns a row writes, its
/// parent's key (`call_ref`, or a latency's `turn_ref`) first.
struct TableShape: Sendable {
    let table: ArchiveTable
    /// Every column written, the parent's key first.
    let columns: [String]
    /// The kinds of the columns after the parent's key.
    let kinds: [ColumnKind]
    /// The record type's multi-row `INSERT … VALUES`, for a number of rows.
    let insertSQL: @Sendable (Int) -> String

    init<R: ArchiveRecord>(_ record: R.Type, _ table: ArchiveTable) {
        self.table = table
        columns = R.writtenColumns
        insertSQL = { R.makeInsertSQL(rows: $0) }
        kinds = columns.dropFirst().map { table.column($0).kind }
    }
}

/// One child table's rows of a call, each row's values after its parent's
/// key, which the writer supplies.
struct TableRows {
    let shape: TableShape
    let rows: [[DatabaseValue]]

    var table: ArchiveTable { shape.table }
    var columns: [String] { shape.columns }
    var kinds: [ColumnKind] { shape.kinds }

    /// Rows per `INSERT`, largest first: a statement of 256 of the widest
    /// rows (13 columns) binds 3,328 values, under SQLite's 32,766 and
    /// PostgreSQL's 65,535. Few sizes keep few texts in the statement caches
    /// (a text per count of rows would prepare a new one for nearly every
    /// batch); fewer rows than the smallest are one statement of their own
    /// count, so most single calls are one statement a table.
    static let statementSizes = [256, 128, 64, 32]

    /// The rows as multi-row `INSERT`s: as many of the largest of
    /// `statementSizes` as fit, then of the next, and the rest as one; each
    /// with its values, every row's led by `parent(row)`.
    func statements(parent: ([DatabaseValue]) -> DatabaseValue) -> [(sql: String, values: [DatabaseValue])] {
        var statements: [(sql: String, values: [DatabaseValue])] = []
        var start = 0
        func take(_ size: Int) {
            var values: [DatabaseValue] = []
            values.reserveCapacity(size * columns.count)
            for row in rows[start..<start + size] {
                values.append(parent(row))
                values += row
            }
            statements.append((shape.insertSQL(size), values))
            start += size
        }
        for size in Self.statementSizes {
            while rows.count - start >= size { take(size) }
        }
        if start < rows.count { take(rows.count - start) }
        return statements
    }
}

/// Every row a call derives, beside its `calls` row: what both writers insert.
struct ChildRows {
    static let turnShape = TableShape(NormalizedCall.Turn.self, .transcriptTurns)
    static let latencyShape = TableShape(NormalizedCall.Latency.self, .turnLatencies)
    static let analysisShape = TableShape(NormalizedCall.Analysis.self, .callAnalysis)
    static let fieldShape = TableShape(NormalizedCall.Field.self, .postAnalysisFields)
    static let sampleShape = TableShape(NormalizedCall.LatencySample.self, .callLatencySamples)

    let turns, latencies, analysis, fields, samples: TableRows

    /// Where a latency row's turn index is: its values start with its provider, call ID and turn index.
    static let latencyTurnIndex = 2

    static func turnIndex(ofLatency row: [DatabaseValue]) -> Int64? { Int64.fromDatabaseValue(row[latencyTurnIndex]) }

    init(_ call: NormalizedCall) {
        let parent: [DatabaseValue] = [call.provider.databaseValue, call.callID.databaseValue]
        turns = TableRows(shape: Self.turnShape, rows: call.turns.map { parent + $0.databaseValues })
        latencies = TableRows(shape: Self.latencyShape, rows: call.turns.compactMap { turn in
            turn.latency.map { parent + [turn.index.databaseValue] + $0.databaseValues }
        })
        analysis = TableRows(shape: Self.analysisShape, rows: call.analysis.map { [parent + $0.databaseValues] } ?? [])
        fields = TableRows(shape: Self.fieldShape,
                           rows: call.fields.enumerated().map { parent + [$0.offset.databaseValue] + $0.element.databaseValues })
        samples = TableRows(shape: Self.sampleShape, rows: call.latencySamples.map { parent + $0.databaseValues })
    }
}

/// A call's natural key, its provider and call ID: how a batch finds a call
/// again among its rows.
struct CallKey: Hashable {
    let provider: String
    let callID: String

    init(provider: String, callID: String) {
        self.provider = provider
        self.callID = callID
    }

    init(_ call: NormalizedCall) { self.init(provider: call.provider.rawValue, callID: call.callID) }

    /// The call a child row belongs to: every child row starts with its call's provider and call ID (`ChildRows`).
    init?(ofChild row: [DatabaseValue]) {
        guard let provider = String.fromDatabaseValue(row[0]), let callID = String.fromDatabaseValue(row[1]) else { return nil }
        self.init(provider: provider, callID: callID)
    }
}

/// Several calls' child rows, written together after their `calls` rows
/// (`ArchiveStore.insertChildren`), each row led by its call's `id`.
struct ChildBatch {
    struct TurnKey: Hashable {
        let callRef: Int64
        let index: Int64
    }

    private var children: [ChildRows] = []
    private var callRefs: [CallKey: Int64] = [:]

    init() {}

    /// One call's rows, under its `id`.
    init(_ call: NormalizedCall, callRef: Int64) { append(call, callRef: callRef) }

    var isEmpty: Bool { children.isEmpty }

    func holds(_ call: NormalizedCall) -> Bool { callRefs[CallKey(call)] != nil }

    /// Adds `call`'s rows (the call as stored: stamped), under its `id`.
    mutating func append(_ call: NormalizedCall, callRef: Int64) {
        precondition(!holds(call), "a call's rows are in a batch once")
        children.append(ChildRows(call))
        callRefs[CallKey(call)] = callRef
    }

    /// One table's rows of every call, in the calls' order.
    func rows(_ table: KeyPath<ChildRows, TableRows>) -> TableRows {
        let first = children[0][keyPath: table]
        guard children.count > 1 else { return first }
        return TableRows(shape: first.shape, rows: children.flatMap { $0[keyPath: table].rows })
    }

    /// The `id` of the call a child row belongs to.
    func callRef(ofChild row: [DatabaseValue]) -> Int64? { CallKey(ofChild: row).flatMap { callRefs[$0] } }
}

public enum PortableWriteError: Error, CustomStringConvertible {
    case noRowKey
    public var description: String { "the call's upsert returned no row key" }
}
