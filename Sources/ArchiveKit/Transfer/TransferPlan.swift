import GRDB

/// The SQL `archive copy` runs, for one store's dialect: what it reads from a
/// source and what it writes into a target. Pure: the endpoints run it.
///
/// Every read returns rows laid out the same way: the table's `readOrder`
/// values (for keyset paging), then its `copiedColumns`, then, for a
/// reference whose match values live in the parent, those values.
public struct TransferPlan: Sendable {
    public enum Dialect: Sendable { case sqlite, postgres }

    public var dialect: Dialect
    /// The most values one statement binds (SQLite allows 32,766, PostgreSQL 65,535).
    static let maxArguments = 30_000
    static let maxRowsPerStatement = 500

    public init(_ dialect: Dialect) { self.dialect = dialect }

    // MARK: Reads

    /// The row keys of the next `limit` calls after `after`, in order.
    public func nextCallKeys(after: Int64, limit: Int) -> TransferQuery {
        var q = QueryBuilder(dialect)
        q.sql = "SELECT id FROM calls WHERE id > \(q.bind(.integer(after), .integer)) ORDER BY id LIMIT \(q.bind(.integer(Int64(limit)), .integer))"
        q.resultKinds = [.integer]
        return q.query
    }

    /// One table's rows of the calls with `after < id <= through`.
    public func callRows(_ table: ArchiveTable, after: Int64, through: Int64) -> TransferQuery {
        var q = QueryBuilder(dialect)
        func range(_ column: String) -> String {
            "\(column) > \(q.bind(.integer(after), .integer)) AND \(column) <= \(q.bind(.integer(through), .integer))"
        }
        let condition: String = switch table.reference?.column {
        case nil: range("t.id")
        case "turn_ref": "t.turn_ref IN (SELECT id FROM transcript_turns WHERE \(range("call_ref")))"
        default: range("t.call_ref")
        }
        q.sql = "SELECT \(selectList(table, &q)) FROM \(table.name) t\(parentJoin(table)) WHERE \(condition)"
        return q.query
    }

    /// The next `limit` rows of a table, in `readOrder`, after the row whose order values are `after`.
    public func pageRows(_ table: ArchiveTable, after: [TransferValue]?, limit: Int) -> TransferQuery {
        var q = QueryBuilder(dialect)
        let order = table.readOrder.map { "t.\($0)" }
        var condition = ""
        if let after {
            let values = zip(after, table.readOrder).map { q.bind($0, table.column($1).kind) }
            condition = " WHERE (\(order.joined(separator: ", "))) > (\(values.joined(separator: ", ")))"
        }
        q.sql = "SELECT \(selectList(table, &q)) FROM \(table.name) t\(parentJoin(table))\(condition) "
            + "ORDER BY \(order.joined(separator: ", ")) LIMIT \(q.bind(.integer(Int64(limit)), .integer))"
        return q.query
    }

    /// Every column of one call's rows in `table`, for `StoredCall.load`.
    public func rowsOfCall(_ table: ArchiveTable, provider: Provider, callID: String, orderedBy order: String) -> TransferQuery {
        var q = QueryBuilder(dialect)
        let columns = table.columns.map { readExpression("t." + $0.name, $0.kind) }.joined(separator: ", ")
        q.sql = "SELECT \(columns) FROM \(table.name) t WHERE t.provider = \(q.bind(.text(provider.rawValue), .text)) "
            + "AND t.call_id = \(q.bind(.text(callID), .text)) ORDER BY \(order)"
        q.resultKinds = table.columns.map(\.kind)
        return q.query
    }

    /// The first recording row with these bytes (as `ArchiveStore.recording(sha256:)` picks it).
    public func recording(sha256: String) -> TransferQuery {
        recordings { q in "t.sha256 = \(q.bind(.text(sha256), .text)) ORDER BY t.call_ref, t.variant LIMIT 1" }
    }

    /// A call's recording rows in one variant (as `ArchiveStore.recording(callID:provider:variant:)` finds them).
    public func recordings(callID: String, provider: Provider?, variant: RecordingVariant) -> TransferQuery {
        recordings { q in
            "t.call_id = \(q.bind(.text(callID), .text)) AND t.variant = \(q.bind(.text(variant.rawValue), .text))"
                + (provider.map { " AND t.provider = \(q.bind(.text($0.rawValue), .text))" } ?? "") + " ORDER BY t.provider"
        }
    }

    /// Every column of `recordings` as SQLite holds it, for the rows `condition` (its WHERE and after) picks.
    private func recordings(_ condition: (inout QueryBuilder) -> String) -> TransferQuery {
        var q = QueryBuilder(dialect)
        let table = ArchiveTable.recordings
        let columns = table.columns.map { readExpression("t." + $0.name, $0.kind) }.joined(separator: ", ")
        q.sql = "SELECT \(columns) FROM recordings t WHERE " + condition(&q)
        q.resultKinds = table.columns.map(\.kind)
        return q.query
    }

    /// Which of these calls (provider, call_id rows) the archive holds already.
    public func presentCalls(_ keys: [(provider: String, callID: String)]) -> TransferQuery {
        var q = QueryBuilder(dialect)
        let ids = Set(keys.map(\.callID)).sorted().map { q.bind(.text($0), .text) }
        q.sql = "SELECT provider, call_id FROM calls WHERE call_id IN (\(ids.joined(separator: ", ")))"
        q.resultKinds = [.text, .text]
        return q.query
    }

    // MARK: Writes

    /// Statements adding `rows` (as read: order values first) to `table`,
    /// leaving alone any row the target has already.
    public func insert(_ table: ArchiveTable, rows: [[TransferValue]]) -> [TransferQuery] {
        guard !rows.isEmpty else { return [] }
        let skip = table.readOrder.count
        let copied = table.copiedColumns
        let carried = carriedColumns(table)
        let width = copied.count + carried.count
        let perStatement = max(1, min(Self.maxRowsPerStatement, Self.maxArguments / max(width, 1)))
        let kinds = (copied + carried).map(\.kind)
        return stride(from: 0, to: rows.count, by: perStatement).map { start in
            var q = QueryBuilder(dialect)
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            let values = chunk.map { row in
                "(" + zip(row.dropFirst(skip), kinds).map { q.bind($0, $1) }.joined(separator: ", ") + ")"
            }.joined(separator: ", ")
            let names = copied.map(\.name)
            if let reference = table.reference {
                let vNames = names + carried.map(\.name)
                let match = reference.match.map { "p.\($0.parent) = v.\($0.value)" }.joined(separator: " AND ")
                let parent = "(SELECT min(p.\(reference.parentKey)) FROM \(reference.parent) p WHERE \(match))"
                q.sql = "WITH v(\(vNames.joined(separator: ", "))) AS (VALUES \(values)) "
                    + "INSERT INTO \(table.name) (\(reference.column), \(names.joined(separator: ", "))) "
                    + "SELECT \(parent), \(names.map { "v.\($0)" }.joined(separator: ", ")) FROM v WHERE true ON CONFLICT DO NOTHING"
            } else if table.rowKey != nil && table.name != ArchiveTable.calls.name {
                let same = table.naturalKey.map { "p.\($0) = v.\($0)" }.joined(separator: " AND ")
                q.sql = "WITH v(\(names.joined(separator: ", "))) AS (VALUES \(values)) "
                    + "INSERT INTO \(table.name) (\(names.joined(separator: ", "))) "
                    + "SELECT \(names.map { "v.\($0)" }.joined(separator: ", ")) FROM v "
                    + "WHERE NOT EXISTS (SELECT 1 FROM \(table.name) p WHERE \(same))"
            } else {
                q.sql = "INSERT INTO \(table.name) (\(names.joined(separator: ", "))) VALUES \(values) ON CONFLICT DO NOTHING"
            }
            return q.query
        }
    }

    /// `sql` with each `?` outside a string literal replaced by
    /// `placeholder(n)`, n counting from 0: SQLite's placeholders numbered and
    /// typed for PostgreSQL (`$3::timestamptz`), so the record types' SQL runs
    /// unchanged. No statement they make holds a `?` in a literal.
    public static func numberingPlaceholders(in sql: String, _ placeholder: (Int) -> String) -> String {
        var result = "", n = 0
        var inLiteral = false
        for ch in sql {
            if ch == "'" { inLiteral.toggle() }
            if ch == "?" && !inLiteral {
                result += placeholder(n)
                n += 1
            } else {
                result.append(ch)
            }
        }
        return result
    }

    /// The PostgreSQL type a placeholder of this kind is cast to.
    public static func postgresType(_ kind: ColumnKind) -> String {
        switch kind {
        case .integer: "bigint"
        case .real: "float8"
        case .text: "text"
        case .boolean: "boolean"
        case .json: "json"
        case .time: "timestamptz"
        }
    }

    // MARK: Row layout

    /// Where `column` is in a row that `callRows` or `pageRows` read.
    public static func index(of column: String, in table: ArchiveTable) -> Int {
        if let order = table.readOrder.firstIndex(of: column) { return order }
        return table.readOrder.count + table.copiedColumns.firstIndex { $0.name == column }!
    }

    /// The match values a reference reads from its parent (a failure's run's start), named after `match.value`.
    private func carriedColumns(_ table: ArchiveTable) -> [TableColumn] {
        guard let reference = table.reference, !reference.carried else { return [] }
        return reference.match.map { TableColumn(name: $0.value, kind: ArchiveTables.kind(of: $0.parent, in: reference.parent)) }
    }

    private func parentJoin(_ table: ArchiveTable) -> String {
        guard let reference = table.reference, !reference.carried else { return "" }
        return " LEFT JOIN \(reference.parent) p ON p.\(reference.parentKey) = t.\(reference.column)"
    }

    private func selectList(_ table: ArchiveTable, _ q: inout QueryBuilder) -> String {
        var items: [(String, ColumnKind)] = table.readOrder.map { ("t." + $0, table.column($0).kind) }
        items += table.copiedColumns.map { ("t." + $0.name, $0.kind) }
        items += carriedColumns(table).enumerated().map { i, column in ("p." + table.reference!.match[i].parent, column.kind) }
        q.resultKinds = items.map(\.1)
        return items.map { expression, kind in readExpression(expression, kind) }.joined(separator: ", ")
    }

    /// A column as SQLite would hold it: PostgreSQL's times become the archive's
    /// UTC text (microseconds), its JSON text, and its booleans stay booleans
    /// (the endpoint turns them into 0/1).
    func readExpression(_ column: String, _ kind: ColumnKind) -> String {
        guard dialect == .postgres else { return column }
        switch kind {
        case .time: return "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        case .json: return "\(column)::text"
        default: return column
        }
    }
}

/// A statement and its arguments, each with the kind of column it fills, so
/// that the PostgreSQL endpoint binds the right type.
public struct TransferQuery: Sendable {
    public var sql: String
    public var arguments: [TransferValue]
    public var argumentKinds: [ColumnKind]
    /// For a read: each result column's kind, in order.
    public var resultKinds: [ColumnKind]

    /// The value bound to a `LIMIT ?`: nil is no limit (SQLite's -1, PostgreSQL's NULL).
    static func limit(_ limit: Int?, _ dialect: TransferPlan.Dialect) -> TransferValue {
        limit.map { .integer(Int64($0)) } ?? (dialect == .sqlite ? .integer(-1) : .null)
    }

    /// The arguments, for a statement GRDB runs on SQLite.
    var statementArguments: StatementArguments { StatementArguments(databaseValues: arguments.map(\.databaseValue)) }
}

/// Builds one statement, numbering PostgreSQL's placeholders (`$1::bigint`) or using SQLite's `?`.
struct QueryBuilder {
    let dialect: TransferPlan.Dialect
    var sql = ""
    var arguments: [TransferValue] = []
    var kinds: [ColumnKind] = []
    var resultKinds: [ColumnKind] = []

    init(_ dialect: TransferPlan.Dialect) { self.dialect = dialect }

    mutating func bind(_ value: TransferValue, _ kind: ColumnKind) -> String {
        arguments.append(value)
        kinds.append(kind)
        guard dialect == .postgres else { return "?" }
        return "$\(arguments.count)::\(TransferPlan.postgresType(kind))"
    }

    var query: TransferQuery {
        TransferQuery(sql: sql, arguments: arguments, argumentKinds: kinds, resultKinds: resultKinds)
    }
}

enum ArchiveTables {
    static func kind(of column: String, in table: String) -> ColumnKind {
        ArchiveTable.all.first { $0.name == table }!.column(column).kind
    }
}
