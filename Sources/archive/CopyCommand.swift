import ArgumentParser
import ArchiveKit
import ArchivePostgres
import Foundation

/// `archive copy`: moves an archive between an SQLite file and a PostgreSQL
/// database (either way, or between two of a kind).
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every call and sync record of one archive into another: SQLite to PostgreSQL, or back.",
        discussion: """
            --from and --to each take an SQLite file or a postgres://user@host:5432/dbname?sslmode=require URL \
            (password from the URL, PGPASSWORD or ~/.pgpass; never printed). The target is created and migrated \
            if needed. A call moves with all its rows in one transaction, and a call the target holds already \
            (same provider and call ID) is left as it is: a copy can be stopped at any point and run again to \
            finish, and copying twice changes nothing. Raw bodies travel byte for byte. Row keys (calls.id and \
            the like) are the target's own. Recordings stay in their directory; their rows travel, so point \
            --recordings-dir at the same (or a copied) directory.
            """)

    @Option(name: .long, help: ArgumentHelp("The archive to read.", valueName: "path-or-url"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The archive to write into.", valueName: "path-or-url"))
    var to: String

    @Option(name: .long, help: "Calls per transaction.")
    var batch = 200

    @Flag(name: .shortAndLong, help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard (1...5000).contains(batch) else { throw ValidationError("--batch must be between 1 and 5000.") }
        let source = try StoreLocation.parse(from), target = try StoreLocation.parse(to)
        if source == target { throw ValidationError("--from and --to name the same archive (\(source)).") }
    }

    func run() async throws {
        let source = try StoreLocation.parse(from), target = try StoreLocation.parse(to)
        if case .sqlite(let path) = source, !FileManager.default.fileExists(atPath: path) { throw StoreError.missing(path: path) }
        let start = ContinuousClock.now
        let showProgress = !quiet && isatty(STDERR_FILENO) == 1
        let done = try await Self.opening(source, writing: false) { from in
            try await Self.opening(target, writing: true) { to in
                try await ArchiveCopy(batchSize: batch).run(from: from, to: to) { p in
                    guard showProgress else { return }
                    FileHandle.standardError.write(Data("\r\u{1B}[K\(p.copied) copied · \(p.present) already there".utf8))
                }
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let seconds = (ContinuousClock.now - start).seconds
        print("Copied \(done.copied) call(s) from \(source) to \(target) in \(String(format: "%.1f", seconds)) s; "
              + "\(done.present) were there already, and \(done.logRows) row(s) of sync runs, failures and listings were merged.")
    }

    /// Opens either kind of archive for the copy, migrated forward as any command would; an SQLite source is only read.
    private static func opening<T: Sendable>(_ location: StoreLocation, writing: Bool,
                                             _ body: (any TransferEndpoint) async throws -> T) async throws -> T {
        switch location {
        case .sqlite(let path): try await body(try writing ? ArchiveStore.open(path: path) : ArchiveStore.openReadOnly(path: path))
        case .postgres(let location): try await PostgresArchive.with(location) { try await body($0) }
        }
    }
}
