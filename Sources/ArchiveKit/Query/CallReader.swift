import GRDB

/// What `show` needs of an archive: which vendors hold an ID, and one call as
/// its tables hold it. The SQLite store and the PostgreSQL store implement it.
public protocol CallReader: Sendable {
    /// The archive as messages name it (a path, or a URL without its password).
    var name: String { get }
    func providers(holding id: String) async throws -> [Provider]
    func storedCall(provider: Provider, id: String) async throws -> StoredCall?
    /// A call's archived recording in one variant; several rows when several vendors use the ID and `provider` is nil.
    func recording(callID: String, provider: Provider?, variant: RecordingVariant) async throws -> [RecordingRow]
}

extension ArchiveStore: CallReader {
    public var name: String { path ?? "the archive" }
}

/// Runs a read and returns its rows as SQLite would hold them (`TransferPlan`'s layout).
public protocol TransferRowSource: Sendable {
    var dialect: TransferPlan.Dialect { get }
    func rows(_ query: TransferQuery) async throws -> [[TransferValue]]
}

extension StoredCall {
    /// One call from a store other than SQLite, decoded by the same record
    /// types as `fetch`, from the same tables in the same order.
    public static func load(provider: Provider, id: String, from source: some TransferRowSource) async throws -> StoredCall? {
        let plan = TransferPlan(source.dialect)
        func rows(_ table: ArchiveTable, orderedBy order: String) async throws -> [[String: DatabaseValue]] {
            try await source.namedRows(table, plan.rowsOfCall(table, provider: provider, callID: id, orderedBy: order))
        }
        func row(_ values: [String: DatabaseValue]) -> Row { Row(values) }
        guard let callRow = try await rows(.calls, orderedBy: "id").first else { return nil }
        var call = try NormalizedCall(row: row(callRow))
        let latencies = Dictionary(try await rows(.turnLatencies, orderedBy: "turn_index").map { ($0["turn_ref"] ?? .null, $0) }) { a, _ in a }
        let latencyColumns = NormalizedCall.Latency.Columns.allCases.map(\.rawValue)
        call.turns = try await rows(.transcriptTurns, orderedBy: "turn_index").map { turn in
            var joined = turn
            // As the LEFT JOIN of `fetch`: the turn's latency columns, NULL when it has none.
            for column in latencyColumns { joined[column] = latencies[turn["id"] ?? .null]?[column] ?? .null }
            return try NormalizedCall.Turn(row: row(joined))
        }
        call.analysis = try await rows(.callAnalysis, orderedBy: "call_ref").first.map { try NormalizedCall.Analysis(row: row($0)) }
        call.fields = try await rows(.postAnalysisFields, orderedBy: "position").map { try NormalizedCall.Field(row: row($0)) }
        call.latencySamples = try await rows(.callLatencySamples, orderedBy: "metric, position").map { try NormalizedCall.LatencySample(row: row($0)) }
        let recordings = try await rows(.recordings, orderedBy: "variant").map { try RecordingRow(row: row($0)) }
        return StoredCall(call: call, recording: recordings.first { $0.variant == .mono },
                          twoPartyRecording: recordings.first { $0.variant != .mono })
    }
}

extension RecordingRow {
    /// The first recording row with these bytes, from a store other than SQLite.
    public static func load(sha256: String, from source: some TransferRowSource) async throws -> RecordingRow? {
        let plan = TransferPlan(source.dialect)
        return try await source.namedRows(.recordings, plan.recording(sha256: sha256)).first.map { try RecordingRow(row: Row($0)) }
    }

    /// A call's recording rows in one variant, from a store other than SQLite.
    public static func load(callID: String, provider: Provider?, variant: RecordingVariant,
                            from source: some TransferRowSource) async throws -> [RecordingRow] {
        let plan = TransferPlan(source.dialect)
        return try await source.namedRows(.recordings, plan.recordings(callID: callID, provider: provider, variant: variant))
            .map { try RecordingRow(row: Row($0)) }
    }
}

extension TransferRowSource {
    /// A query over all of `table`'s columns, each row by column name, for the record types to decode.
    func namedRows(_ table: ArchiveTable, _ query: TransferQuery) async throws -> [[String: DatabaseValue]] {
        let names = table.columns.map(\.name)
        return try await rows(query).map { values in Dictionary(uniqueKeysWithValues: zip(names, values.map(\.databaseValue))) }
    }
}

extension Row {
    convenience init(_ values: [String: DatabaseValue]) {
        self.init(values.mapValues { $0 as (any DatabaseValueConvertible)? })
    }
}
