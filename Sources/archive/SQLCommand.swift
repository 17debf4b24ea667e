import ArgumentParser
import ArchiveKit
import ArchivePostgres
import Foundation

struct SQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run one read-only SQL statement against the archive and stream its rows.",
        discussion: """
            The archive is opened read-only by SQLite itself: writes, ATTACH, VACUUM and state-changing PRAGMAs \
            are refused and the file is never changed. On PostgreSQL it runs one query (SELECT, WITH, VALUES, TABLE) \
            in a READ ONLY transaction with statement_timeout from --timeout. Bind values with --param: \
            archive sql "SELECT * FROM calls WHERE status = :s" --param s=ended. A plain number (3, -2.5) \
            is bound as a number, anything else as text.
            """)

    @Argument(help: ArgumentHelp("The statement, or - to read it from standard input.", valueName: "sql"))
    var sql: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A named parameter, bound to :name (repeatable).", valueName: "name=value"))
    var parameters: [String] = []

    @Option(help: ArgumentHelp("Interrupt the query after this many seconds; 0 for no limit.", valueName: "seconds"))
    var timeout: Double = 30

    @OptionGroup var format: FormatOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        _ = try namedParameters()
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout must be 0 (no limit) or a number of seconds.") }
    }

    func namedParameters() throws -> [String: String] {
        var named: [String: String] = [:]
        for parameter in parameters {
            guard let equals = parameter.firstIndex(of: "=") else {
                throw ValidationError("--param \(parameter.debugDescription) needs the form name=value.")
            }
            var name = String(parameter[..<equals])
            if let first = name.first, ":@$".contains(first) { name.removeFirst() }
            guard !name.isEmpty else { throw ValidationError("--param \(parameter.debugDescription) has no name before '='.") }
            guard named[name] == nil else { throw ValidationError("--param \(name) is given twice.") }
            named[name] = String(parameter[parameter.index(after: equals)...])
        }
        return named
    }

    func run() async throws {
        let text: String
        if sql == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            text = sql
        }
        let output = OutputBuffer()
        let limit = timeout == 0 ? nil : timeout
        switch try database.location {
        case .sqlite(let path):
            let store = try ArchiveStore.openReadOnly(path: path, migrating: false)
            try ReadOnlyQuery.run(text, parameters: try namedParameters(), timeout: limit, in: store) { format.writer($0, to: output) }
        case .postgres(let location):
            let parameters = try namedParameters()
            try await PostgresArchive.with(location, migrating: false) { archive in
                try await archive.readOnlyQuery(text, parameters: parameters, timeout: limit) { format.writer($0, to: output) }
            }
        }
    }
}
