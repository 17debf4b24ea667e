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

    /// The `WHERE` that keeps a table's rows of the calls `condition` selects,
    /// through its `provider` and `call_id`; a table without them cannot be filtered.
    static func callRows(of table: String, columns: [String], condition: String) throws -> String {
        guard columns.contains("provider") && columns.contains("call_id") else {
            throw QueryError.parameter("\(table) has no provider and call_id columns, so the call filters cannot apply to it; export it without filters.")
        }
        return """
             WHERE (t.provider, t.call_id) IN (
                SELECT c.provider, c.call_id FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
                WHERE \(condition))
            """
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
                let (condition, filterArguments) = filter.condition()
                sql += try callRows(of: name, columns: columns, condition: condition)
                arguments = filterArguments
            }
            return (sql + " LIMIT ?", arguments + [limit ?? -1])
        }
        return try store.stream(sql, arguments: arguments, makeWriter: makeWriter)
    }
}

/// The same exports from a store that streams rows (PostgreSQL), in the same
/// order (oldest first, calls that never started first, keys bytewise) and
/// with values as SQLite holds them.
extension ArchiveExport {
    private static func lines(_ filter: CallFilter, limit: Int?, select: String, kinds: [ColumnKind], from source: some RowStream,
                              to output: OutputBuffer, line: ([TransferValue]) async throws -> String?) async throws -> Int {
        let condition = filter.condition(.postgres)
        let sql = """
            SELECT \(select) FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
            WHERE \(condition.sql) ORDER BY c.started_at NULLS FIRST, c.provider COLLATE "C", c.call_id COLLATE "C" LIMIT ?
            """
        var count = 0
        try await source.forEachRow(TransferQuery(sql: sql, arguments: condition.values + [TransferQuery.limit(limit, .postgres)],
                                                  argumentKinds: condition.kinds + [.integer], resultKinds: kinds)) { row in
            guard let text = try await line(row) else { return }
            output.write(text)
            output.write("\n")
            count += 1
        }
        output.flush()
        return count
    }

    public static func calls(_ filter: CallFilter, limit: Int? = nil, from source: some RowStream, to output: OutputBuffer) async throws -> Int {
        try await lines(filter, limit: limit, select: "c.provider, c.call_id", kinds: [.text, .text], from: source, to: output) { key in
            guard case .text(let name) = key[0], let provider = Provider(rawValue: name), case .text(let id) = key[1],
                  let call = try await StoredCall.load(provider: provider, id: id, from: source) else { return nil }
            return CallPresenter.json(call).jsonText
        }
    }

    public static func rawBodies(_ filter: CallFilter, limit: Int? = nil, from source: some RowStream, to output: OutputBuffer) async throws -> Int {
        try await lines(filter, limit: limit, select: "c.raw_json", kinds: [.text], from: source, to: output) { row in
            guard case .text(let body) = row[0] else { return nil }
            return body.contains(where: \.isNewline) ? oneLine(body) : body
        }
    }

    /// The tables and views of the archive's schema, each column with the kind
    /// it is read as; PostgreSQL's own `search_vector` columns are left out, so
    /// a table has SQLite's columns.
    static func exportableTables(in source: some RowStream) async throws -> [String: [(name: String, kind: ColumnKind)]] {
        let rows = try await source.rows(TransferQuery(sql: """
            SELECT c.table_name::text, c.column_name::text, c.data_type::text
            FROM information_schema.columns c JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND c.table_name <> 'archive_migrations' AND c.data_type <> 'tsvector'
            ORDER BY c.table_name, c.ordinal_position
            """, arguments: [], argumentKinds: [], resultKinds: [.text, .text, .text]))
        var tables: [String: [(name: String, kind: ColumnKind)]] = [:]
        for row in rows {
            guard case .text(let table) = row[0], case .text(let column) = row[1], case .text(let type) = row[2] else { continue }
            let kind: ColumnKind = switch type {
            case "bigint", "integer", "smallint": .integer
            case "double precision", "real", "numeric": .real
            case "boolean": .boolean
            case "json", "jsonb": .json
            case "timestamp with time zone", "timestamp without time zone": .time
            default: .text
            }
            tables[table, default: []].append((column, kind))
        }
        return tables
    }

    public static func table(_ name: String, filter: CallFilter, limit: Int? = nil, from source: some RowStream,
                             makeWriter: ([String]) -> RowWriter) async throws -> Int {
        let tables = try await exportableTables(in: source)
        guard let columns = tables[name] else {
            throw QueryError.unknownTable(name, available: tables.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        let plan = TransferPlan(.postgres)
        let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        var sql = "SELECT \(columns.map { plan.readExpression("t.\"\($0.name)\"", $0.kind) }.joined(separator: ", ")) FROM \(quoted) t"
        var condition = FilterCondition(sql: "", values: [], kinds: [])
        if !filter.isEmpty {
            condition = filter.condition(.postgres)
            sql += try callRows(of: name, columns: columns.map(\.name), condition: condition.sql)
        }
        let writer = makeWriter(columns.map(\.name))
        try await source.forEachRow(TransferQuery(sql: sql + " LIMIT ?", arguments: condition.values + [TransferQuery.limit(limit, .postgres)],
                                                  argumentKinds: condition.kinds + [.integer], resultKinds: columns.map(\.kind))) {
            writer.write($0.map(Cell.init))
        }
        writer.finish()
        return writer.rowCount
    }
}
