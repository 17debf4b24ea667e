import GRDB

extension ArchiveStore {
    /// Streams a query's rows into the writer `makeWriter` builds from its
    /// column names; returns how many rows were written.
    @discardableResult
    public func stream(_ sql: String, arguments: StatementArguments, makeWriter: ([String]) -> RowWriter) throws -> Int {
        try read { db in try Self.stream(db.makeStatement(sql: sql), arguments: arguments, makeWriter: makeWriter) }
    }

    /// Streams a prepared statement's rows; shared with `archive sql`.
    static func stream(_ statement: Statement, arguments: StatementArguments, makeWriter: ([String]) -> RowWriter) throws -> Int {
        let writer = makeWriter(statement.columnNames)
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            writer.write(ResultSet.cells(row))
        }
        writer.finish()
        return writer.rowCount
    }

    /// Reads a whole (bounded) result into memory.
    func collect(_ sql: String, arguments: StatementArguments) throws -> ResultSet {
        try read { db in try ResultSet.fetch(db, sql: sql, arguments: arguments) }
    }
}
