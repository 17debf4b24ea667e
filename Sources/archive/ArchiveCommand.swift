import ArgumentParser
import ArchiveKit
import ArchivePostgres
import Foundation
import Logging

/// The `archive` command: a root with one subcommand per job, after
/// swift-argument-parser's `Math` example.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Keep an offline, queryable archive of voice-AI agent calls: an SQLite file, or a PostgreSQL database a team shares.",
        discussion: """
            Exit codes: 0 success; 1 some IDs failed or the call is not archived; 2 usage or input error; \
            3 the vendor rejected the API key; 4 the archive database cannot be used; 5 a query hit --timeout; \
            6 the vendor kept failing and the sync stopped; 130/143 interrupted.
            """,
        version: ArchiveVersion.current,
        subcommands: [
            SyncCommand.self, IDsCommand.self, RecordingsCommand.self, ShowCommand.self, RecordingCommand.self,
            ListCommand.self, SearchCommand.self, StatsCommand.self, SQLCommand.self, ExportCommand.self,
            RebuildCommand.self, CopyCommand.self, ServeCommand.self, DemoCommand.self,
        ])
}

/// Options every subcommand shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The archive: an SQLite file, or a postgres:// URL.",
                                            discussion: "Default: $ARCHIVE_DB, else archive.sqlite in the current directory.", valueName: "path-or-url"))
    var db: String?

    /// `--db`, else `$ARCHIVE_DB`, else archive.sqlite: a path or a PostgreSQL URL.
    static func named(_ db: String?) -> String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["ARCHIVE_DB"], !env.isEmpty { return env }
        return "archive.sqlite"
    }

    /// The archive: a file or a server.
    var location: StoreLocation {
        get throws { try StoreLocation.parse(Self.named(db)) }
    }

    /// Opens the archive for the query commands, whichever store it is (migrating
    /// it forward, as every command does), and runs `body` on it.
    func withQueries<T: Sendable>(_ body: (any CallQueries) async throws -> T) async throws -> T {
        switch try location {
        case .sqlite(let path):
            return try await body(try ArchiveStore.openReadOnly(path: path))
        case .postgres(let location):
            return try await PostgresArchive.with(location) { try await body($0) }
        }
    }

    /// Opens the archive for the commands that write into it (`sync`, `ids`,
    /// `recordings`), whichever store it is, migrating it forward, and runs `body` on it.
    func withStore<T: Sendable>(_ body: (any SyncStore & ListingStore) async throws -> T) async throws -> T {
        switch try location {
        case .sqlite(let path):
            return try await body(try ArchiveStore.open(path: path))
        case .postgres(let location):
            return try await PostgresArchive.with(location) { try await body($0) }
        }
    }
}

extension Provider: ExpressibleByArgument {
    /// `puretalk or puppeteer or …`, every vendor, for help texts.
    static var names: String { allCases.map(\.rawValue).joined(separator: " or ") }
}

@main
enum Main {
    /// Parses and runs. The only place that prints an error and exits: a
    /// `UserFacingError` carries its message and exit code; argument errors
    /// exit 2 (the parser's own default is 64); no error escapes as a crash.
    static func main() async {
        // Logs are diagnostics: keep them off stdout, which carries results.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        do {
            var command = try ArchiveCommand.parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as any UserFacingError {
            let message = error.description
            if !message.isEmpty {
                let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { "archive: \($0)\n" }
                FileHandle.standardError.write(Data(lines.joined().utf8))
            }
            exit(error.exitStatus.rawValue)
        } catch {
            let code = ArchiveCommand.exitCode(for: error)
            let message = ArchiveCommand.fullMessage(for: error)
            if !message.isEmpty {
                let stream = code == .success ? FileHandle.standardOutput : FileHandle.standardError
                stream.write(Data((message + "\n").utf8))
            }
            exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
