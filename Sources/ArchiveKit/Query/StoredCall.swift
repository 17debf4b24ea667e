import GRDB

/// One archived call read back from the database, for `show` and exports.
/// It reads the normalized tables (not the raw body), so it shows exactly
/// what SQL users see.
public struct StoredCall: Sendable {
    /// The `calls` row without `raw_json` and the local `id`, in column order.
    public var columns: [(name: String, value: DatabaseValue)]
    public var rawJSON: String
    public var turns: [[(name: String, value: DatabaseValue)]]
    public var analysis: [(name: String, value: DatabaseValue)]?
    public var fields: [(name: String, value: String?)]
    /// The `recordings` row, when the recording is archived.
    public var recording: [(name: String, value: DatabaseValue)]?

    public subscript(_ name: String) -> DatabaseValue {
        columns.first(where: { $0.name == name })?.value ?? .null
    }

    /// The providers holding a call with this ID (usually one).
    public static func providers(of id: String, in store: ArchiveStore) throws(StoreError) -> [Provider] {
        try store.mapped {
            try store.writer.read { db in
                try String.fetchAll(db, sql: "SELECT provider FROM calls WHERE call_id = ? ORDER BY provider", arguments: [id])
                    .compactMap(Provider.init(rawValue:))
            }
        }
    }

    public static func load(provider: Provider, id: String, from store: ArchiveStore) throws(StoreError) -> StoredCall? {
        try store.mapped {
            try store.writer.read { db in try fetch(provider: provider, id: id, db) }
        }
    }

    /// Reads one call on a connection already in use (as `export` does while
    /// it walks a cursor). Statements are cached: an export runs them per call.
    static func fetch(provider: Provider, id: String, _ db: Database) throws -> StoredCall? {
        let key: StatementArguments = [provider.rawValue, id]
        guard let call = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM calls WHERE provider = ? AND call_id = ?"), arguments: key)
        else { return nil }
        let turns = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT t.turn_index, t.role, t.content, t.function_name, t.function_args, t.interrupted,
                   t.tool_calls, t.words, t.extra, l.latency, l.eou_delay, l.llm_latency, l.tts_latency
            FROM transcript_turns t
            LEFT JOIN turn_latencies l ON l.turn_ref = t.id
            WHERE t.provider = ? AND t.call_id = ?
            ORDER BY t.turn_index
            """), arguments: key)
        let analysis = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT summary, call_completion, call_completion_summary, task_completion, task_completion_summary
            FROM call_analysis WHERE provider = ? AND call_id = ?
            """), arguments: key)
        let fields = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT name, value FROM post_analysis_fields WHERE provider = ? AND call_id = ? ORDER BY position
            """), arguments: key)
        let recording = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT sha256, size_bytes, content_type, file, source_url, fetched_at
            FROM recordings WHERE provider = ? AND call_id = ?
            """), arguments: key)
        return StoredCall(
            columns: call.columnNames.filter { $0 != "raw_json" && $0 != "id" }.map { ($0, call[$0] as DatabaseValue) },
            rawJSON: call["raw_json"],
            turns: turns.map { row in row.columnNames.map { ($0, row[$0] as DatabaseValue) } },
            analysis: analysis.map { row in row.columnNames.map { ($0, row[$0] as DatabaseValue) } },
            fields: fields.map { ($0["name"], $0["value"]) },
            recording: recording.map { row in row.columnNames.map { ($0, row[$0] as DatabaseValue) } })
    }
}
