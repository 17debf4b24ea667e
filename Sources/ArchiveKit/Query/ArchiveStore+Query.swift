import Foundation
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

    /// Runs `body`, interrupting the statement it runs after `seconds` (nil:
    /// no limit); a query cut short throws `QueryError.timedOut`. The one
    /// time limit, for `archive sql --timeout` and the viewer's requests.
    /// Reads on one store run one at a time, so the interrupt lands on
    /// `body`'s statement (the timer is cancelled as `body` returns).
    public func withTimeLimit<T>(_ seconds: Double?, _ body: () throws -> T) throws -> T {
        guard let seconds else { return try body() }
        let fired = TimerFlag()
        let timer = DispatchWorkItem { [self] in
            fired.set()
            interrupt()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
        defer { timer.cancel() }
        do {
            return try body()
        } catch {
            if fired.isSet { throw QueryError.timedOut(seconds: seconds) }
            throw error
        }
    }
}

/// Whether a time limit's timer has fired.
private final class TimerFlag: @unchecked Sendable {
    // Guarded by `lock`.
    private var value = false
    private let lock = NSLock()

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
