import GRDB

/// `archive export`: the archive streamed out, one call or row at a time, so
/// memory stays flat however large the archive is.
public enum ArchiveExport {
    /// Writes one line per call the filter selects, oldest first (at most
    /// `limit`): `line` turns the selected columns of a call into its line.
    private static func lines(_ filter: CallFilter, limit: Int?, select: String, from store: ArchiveStore,
                              to output: OutputBuffer, line: (Row, Database) throws -> String?) throws -> Int {
        let (condition, arguments) = filter.condition()
        let sql = """
            SELECT \(select) FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
            WHERE \(condition) ORDER BY c.started_at, c.provider, c.call_id LIMIT ?
            """
        return try store.read { db in
            var count = 0
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments + [limit ?? -1])
            while let row = try rows.next() {
                guard let text = try line(row, db) else { continue }
                output.write(text)
                output.write("\n")
                count += 1
            }
            output.flush()
            return count
        }
    }

    /// JSON Lines: one normalized call per line, as `archive show --json`
    /// prints it (turns with latencies, analysis, fields). Returns the count.
    @discardableResult
    public static func calls(_ filter: CallFilter, limit: Int? = nil, from store: ArchiveStore, to output: OutputBuffer) throws -> Int {
        try lines(filter, limit: limit, select: "c.provider, c.call_id", from: store, to: output) { key, db in
            guard let provider = Provider(rawValue: key[0]),
                  let call = try StoredCall.fetch(provider: provider, id: key[1], db) else { return nil }
            return CallPresenter.json(call).jsonText
        }
    }

    /// The vendor bodies as stored, one per line. A body is valid JSON, so a
    /// line break in it can only be whitespace between tokens: it becomes a
    /// space, and nothing else changes.
    @discardableResult
    public static func rawBodies(_ filter: CallFilter, limit: Int? = nil, from store: ArchiveStore, to output: OutputBuffer) throws -> Int {
        try lines(filter, limit: limit, select: "c.raw_json", from: store, to: output) { row, _ in
            let body: String = row[0]
            return body.contains(where: \.isNewline) ? oneLine(body) : body
        }
    }

    static func oneLine(_ body: String) -> String {
        String(String.UnicodeScalarView(body.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }

    /// The tables and views `--table` accepts: the schema's own, without
    /// SQLite's, GRDB's or the full-text index internals.
    public static func exportableTables(in store: ArchiveStore) throws -> [String] {
        try store.read { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master
                WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                  AND name <> 'grdb_migrations' AND name NOT LIKE '%\\_fts' ESCAPE '\\' AND name NOT LIKE '%\\_fts\\_%' ESCAPE '\\'
                ORDER BY name
                """)
        }
    }

    /// One table or view, row by row, in any `RowFormat`. The filter applies
    /// through the rows' `provider` and `call_id`; a table without them (such
    /// as `sync_runs`) can only be exported whole.
    @discardableResult
    public static func table(_ name: String, filter: CallFilter, limit: Int? = nil, from store: ArchiveStore,
                             makeWriter: ([String]) -> RowWriter) throws -> Int {
        let tables = try exportableTables(in: store)
        guard tables.contains(name) else { throw QueryError.unknownTable(name, available: tables) }
        let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let (sql, arguments) = try store.read { db -> (String, StatementArguments) in
            let columns = try db.columns(in: name).map(\.name)
            var sql = "SELECT * FROM \(quoted) t"
            var arguments = StatementArguments()
            if !filter.isEmpty {
                guard columns.contains("provider") && columns.contains("call_id") else {
                    throw QueryError.parameter("\(name) has no provider and call_id columns, so the call filters cannot apply to it; export it without filters.")
                }
                let (condition, filterArguments) = filter.condition()
                sql += """
                     WHERE (t.provider, t.call_id) IN (
                        SELECT c.provider, c.call_id FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
                        WHERE \(condition))
                    """
                arguments = filterArguments
            }
            return (sql + " LIMIT ?", arguments + [limit ?? -1])
        }
        return try store.stream(sql, arguments: arguments, makeWriter: makeWriter)
    }
}
