import GRDB

/// Column names and rows, as `list`, `search`, `stats` and `sql` hand them to
/// a `RowWriter`. The column names are the JSON keys, documented in README.md.
public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[Cell]]

    public init(columns: [String], rows: [[Cell]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Reads a bounded result (a `--limit`ed query) into memory.
    static func fetch(_ db: Database, sql: String, arguments: StatementArguments) throws -> ResultSet {
        let statement = try db.makeStatement(sql: sql)
        let rows = try Row.fetchAll(statement, arguments: arguments).map(cells)
        return ResultSet(columns: statement.columnNames, rows: rows)
    }

    static func cells(_ row: Row) -> [Cell] {
        row.databaseValues.map(Cell.init)
    }

    /// Writes every row, then ends the output.
    public func write(to writer: RowWriter) {
        for row in rows { writer.write(row) }
        writer.finish()
    }

    /// The values of one column.
    func column(_ name: String) -> [Cell] {
        guard let i = columns.firstIndex(of: name) else { return [] }
        return rows.map { $0[i] }
    }
}
