import GRDB

/// A Swift type that is one table's row, both ways: GRDB's `FetchableRecord`
/// reads it, and its `Columns` (the table's columns in the table's order,
/// listed once) make the SQL that writes it and the arguments it binds, so
/// the two cannot fall out of step. A new column is a case of `Columns`, the
/// property behind it, and a line in `value(_:)` and `init(row:)`: the
/// compiler asks for the `value(_:)` line.
///
/// The writes stay on cached statements: each type keeps its SQL in a
/// `static let`, made once from `Columns`.
protocol ArchiveRecord: FetchableRecord, Sendable {
    associatedtype Columns: CaseIterable, ColumnExpression, RawRepresentable, Hashable
        where Columns.RawValue == String, Columns.AllCases == [Columns]
    static var databaseTableName: String { get }
    /// Columns whose values the writer supplies rather than the row (its
    /// call's local key, the run, the time of the attempt). They come first
    /// in the statement, and `arguments(supplying:)` takes them in order.
    static var suppliedColumns: [String] { get }
    /// Columns holding JSON text, which `show --json` embeds as JSON.
    static var jsonColumns: Set<Columns> { get }
    /// The row's value in `column`.
    func value(_ column: Columns) -> (any DatabaseValueConvertible)?
}

extension ArchiveRecord {
    static var suppliedColumns: [String] { [] }
    static var jsonColumns: Set<Columns> { [] }

    /// Every column a write sets, in statement order.
    static var writtenColumns: [String] { suppliedColumns + Columns.allCases.map(\.rawValue) }

    static func makeInsertSQL() -> String { makeInsertSQL(rows: 1) }

    /// `INSERT INTO table (every written column)`, before its rows.
    static var insertHead: String { "INSERT INTO \(databaseTableName) (\(writtenColumns.joined(separator: ", ")))" }

    /// One `INSERT` of `rows` rows.
    static func makeInsertSQL(rows: Int) -> String {
        let row = "(\(CallFilter.placeholders(writtenColumns.count)))"
        return insertHead + " VALUES " + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// An upsert keeps the row (and its rowid) and updates it in place;
    /// `INSERT OR REPLACE` would delete it first and cascade to its children.
    static func makeUpsertSQL(conflict key: [Columns]) -> String {
        makeInsertSQL() + makeConflictClause(key)
    }

    /// The upsert's ` ON CONFLICT … DO UPDATE SET` every other column, for any source of rows.
    static func makeConflictClause(_ key: [Columns]) -> String {
        let keyNames = key.map(\.rawValue)
        let updates = writtenColumns.filter { !keyNames.contains($0) }.map { "\($0) = excluded.\($0)" }
        return " ON CONFLICT (\(keyNames.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))"
    }

    /// The statement's arguments: `supplied` (one per `suppliedColumns`), then the row's own.
    func arguments(supplying supplied: [(any DatabaseValueConvertible)?] = []) -> StatementArguments {
        StatementArguments(databaseValues: values(supplying: supplied))
    }

    /// The values `arguments(supplying:)` binds, for a statement of several rows.
    func values(supplying supplied: [(any DatabaseValueConvertible)?]) -> [DatabaseValue] {
        supplied.map { $0?.databaseValue ?? .null } + databaseValues
    }

    /// The row's own values as SQLite stores them (`Columns` order): what a
    /// write binds after the supplied columns, and what a rebuild compares
    /// with the stored row before it writes anything.
    var databaseValues: [DatabaseValue] {
        Columns.allCases.map { value($0)?.databaseValue ?? .null }
    }

    /// `SELECT` of the row's own columns, prefixed by `alias.` when given.
    static func selectOwnColumns(alias: String? = nil) -> String {
        Columns.allCases.map { (alias.map { $0 + "." } ?? "") + $0.rawValue }.joined(separator: ", ")
    }
}

extension Provider: DatabaseValueConvertible {}

extension StatementArguments {
    /// GRDB's initializer for a sequence of concrete values reads each one
    /// through a key path: under callgrind that was 15% of a sync's
    /// instructions, about 2,400 a value. Through the existential it is a
    /// plain call per value.
    init(databaseValues values: [DatabaseValue]) {
        self.init(values.map { Optional<any DatabaseValueConvertible>.some($0) })
    }
}
