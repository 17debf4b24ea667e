import Foundation
import GRDB
import GRDBSQLite

/// `archive sql`: one read-only statement against the archive, its rows
/// streamed to a `RowWriter`.
///
/// Defence in depth, so the file cannot change whatever the text says:
/// 1. the connection is opened `SQLITE_OPEN_READONLY` (`ArchiveStore.openReadOnly`);
/// 2. no database may be attached (`SQLITE_LIMIT_ATTACHED` is 0);
/// 3. the statement must be one that SQLite reports as read-only, is not
///    `VACUUM` (whose `INTO` form writes a new file even from a read-only
///    connection), and a `PRAGMA` must be a question, not a setting.
public enum ReadOnlyQuery {
    /// Pragmas that only report. Anything else (`writable_schema`,
    /// `journal_mode = …`) is refused; `SELECT * FROM pragma_…()` works too.
    static let reportingPragmas: Set<String> = [
        "application_id", "collation_list", "compile_options", "data_version", "database_list", "encoding",
        "foreign_key_check", "foreign_key_list", "freelist_count", "function_list", "index_info", "index_list",
        "index_xinfo", "integrity_check", "module_list", "page_count", "page_size", "pragma_list",
        "quick_check", "schema_version", "table_info", "table_list", "table_xinfo", "user_version",
    ]

    /// Runs `sql` with `parameters` bound by name (`:name`, `@name` or `$name`),
    /// interrupting it after `timeout` seconds (nil: no limit). `makeWriter`
    /// receives the column names before the first row is read.
    public static func run(_ sql: String, parameters: [String: String], timeout: Double?,
                           in store: ArchiveStore, makeWriter: ([String]) -> RowWriter) throws {
        try store.withTimeLimit(timeout) {
            try store.read { db in
                do {
                    sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_ATTACHED, 0)
                    let statement = try prepare(sql, db)
                    _ = try ArchiveStore.stream(statement, arguments: try bind(parameters, to: statement), makeWriter: makeWriter)
                } catch let error as DatabaseError {
                    // What SQLite says about the user's statement is the user's to fix; the rest is about the file.
                    switch error.resultCode {
                    case .SQLITE_INTERRUPT: throw QueryError.timedOut(seconds: timeout ?? 0)
                    case .SQLITE_READONLY:
                        throw QueryError.notReadOnly(reason: "the statement tried to write (\(error.message ?? "read-only database"))")
                    case .SQLITE_ERROR, .SQLITE_MISUSE, .SQLITE_RANGE, .SQLITE_AUTH:
                        throw QueryError.invalidSQL(reason: error.message ?? error.description)
                    default: throw error
                    }
                }
            }
        }
    }

    static func prepare(_ sql: String, _ db: Database) throws -> Statement {
        let statement: Statement
        do {
            statement = try db.makeStatement(sql: sql)
        } catch let error as DatabaseError where error.message?.hasPrefix("Multiple statements found") == true {
            throw QueryError.invalidSQL(reason: "give one statement at a time")
        }
        let words = statement.sql.split(whereSeparator: { !($0.isLetter || $0 == "_") }).prefix(2).map { $0.lowercased() }
        switch words.first {
        case "vacuum":
            throw QueryError.notReadOnly(reason: "VACUUM (and VACUUM INTO, which copies the archive to a new file) is refused")
        case "attach", "detach":
            throw QueryError.notReadOnly(reason: "attaching other databases is refused")
        case "pragma":
            let name = words.count > 1 ? words[1] : ""
            let setsValue = statement.sql.contains("=")
            guard reportingPragmas.contains(name), !setsValue else {
                throw QueryError.notReadOnly(reason: "PRAGMA \(name) \(setsValue ? "with a value " : "")may change state; only reporting pragmas such as table_info, index_list, foreign_key_list or integrity_check are allowed")
            }
        default:
            break
        }
        guard statement.isReadonly else {
            throw QueryError.notReadOnly(reason: "the statement would change the database")
        }
        return statement
    }

    /// Named arguments for every parameter the statement declares; a missing
    /// or unknown name is an error that lists what the statement expects.
    static func bind(_ parameters: [String: String], to statement: Statement) throws -> StatementArguments {
        let handle = statement.sqliteStatement
        var declared: [String] = []
        for i in 0..<sqlite3_bind_parameter_count(handle) {
            guard let cName = sqlite3_bind_parameter_name(handle, i + 1) else {
                throw QueryError.parameter("positional parameters (?) cannot be bound; name them, as in :name, and pass --param name=value.")
            }
            declared.append(String(String(cString: cName).dropFirst()))
        }
        try check(parameters, declared: declared)
        return StatementArguments(parameters.mapValues(typed))
    }

    /// Every name the statement declares is given, and every name given is
    /// declared; the error lists what the statement expects. Both stores check so.
    public static func check(_ parameters: [String: String], declared: [String]) throws {
        let expected = Set(declared)
        if let unknown = parameters.keys.sorted().first(where: { !expected.contains($0) }) {
            throw QueryError.parameter("--param \(unknown) is not used by the query; it expects \(expected.isEmpty ? "no parameters" : expected.sorted().map { ":" + $0 }.joined(separator: ", ")).")
        }
        if let missing = declared.first(where: { parameters[$0] == nil }) {
            throw QueryError.parameter("the query uses :\(missing) but no --param \(missing)=value was given.")
        }
    }

    /// A value written as a plain number (`3`, `-2.5`) is bound as a number, so
    /// it compares as one even with a view's computed column, which has no type
    /// affinity to convert text. Anything else is text: `+15551234567`, `007`
    /// and `1e3` do not print back the same as numbers, so they stay as written.
    static func typed(_ text: String) -> any DatabaseValueConvertible {
        if let integer = Int64(text), String(integer) == text { return integer }
        if let real = Double(text), real.isFinite, "\(real)" == text { return real }
        return text
    }
}
