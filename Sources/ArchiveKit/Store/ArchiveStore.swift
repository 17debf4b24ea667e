import Foundation
import GRDB

/// Owns the archive database: opening it safely, migrating it, and every
/// read and write of it.
///
/// Modeled on GRDB's `AppDatabase`: one type holds the connection (private)
/// and its migrator; files use a WAL `DatabasePool` so readers never block the
/// sync's single writer, and tests may use an in-memory `DatabaseQueue`.
///
/// Its public surface is what a second store (PostgreSQL) would offer too:
/// opening (`open`, `openReadOnly`); the sync's writes (`save`, `beginRun`,
/// `finishRun`) and reads (`finalIDs`, `missingRecordings`,
/// `archivedRecordings`, `callsMissingRecordings`); listings' progress;
/// `rebuild`; and, for the query layer, one call (`call`, `providers`) or rows
/// streamed (`stream`). Everything else reaches the database through `read`
/// and `write`, inside ArchiveKit.
public final class ArchiveStore: Sendable {
    /// The GRDB connection (a pool for files, a queue in memory).
    private let database: any DatabaseWriter
    public let path: String?

    /// Opens (creating with mode 0600 if needed) and migrates the archive at `path`.
    public static func open(path: String) throws(StoreError) -> ArchiveStore {
        try createOwnerOnlyFileIfMissing(path)
        try checkWritable(path)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try refuseNewerSchema(path)
                let pool = try DatabasePool(path: path, configuration: configuration(readOnly: false))
                let store = ArchiveStore(database: pool, path: path)
                try store.migrate()
                try store.runPendingWork()
                return store
            } catch let error as DatabaseError where racedAnotherOpener(error) && attempt < 40 {
                Thread.sleep(forTimeInterval: 0.025 * Double(min(attempt, 8)))
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(error, path: path)
            }
        }
    }

    /// Opens an existing archive without writing to it (for `show` and queries).
    ///
    /// An archive from an older version is first migrated forward, as any
    /// writing command would, so that queries always see the current schema,
    /// unless `migrating` is false (`archive sql`, which never writes, then
    /// sees the schema as it is).
    public static func openReadOnly(path: String, migrating: Bool = true) throws(StoreError) -> ArchiveStore {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        do {
            let queue = try repairingAfterCrash(path) {
                try DatabaseQueue(path: path, configuration: configuration(readOnly: true))
            }
            let store = ArchiveStore(database: queue, path: path)
            let current = try queue.read { db throws in
                try checkSchema(db, path: path)
                return try migrator.hasCompletedMigrations(db)
            }
            if current || !migrating { return store }
            try queue.close()
        } catch {
            throw StoreError(error, path: path)
        }
        do {
            _ = try open(path: path)
        } catch .readOnly {
            throw .olderSchema(path: path)
        }
        return try openReadOnly(path: path)
    }

    /// A migrated in-memory archive, for unit tests.
    static func inMemory() throws -> ArchiveStore {
        let store = ArchiveStore(database: try DatabaseQueue(configuration: configuration(readOnly: false)), path: nil)
        try store.migrate()
        try store.runPendingWork()
        return store
    }

    private init(database: any DatabaseWriter, path: String?) {
        self.database = database
        self.path = path
    }

    // MARK: Reads and writes

    /// Runs `body` in a read transaction. The one place errors are mapped:
    /// SQLite's become a `StoreError` naming the file; any other error (a
    /// query's `QueryError`, already phrased for the user) passes through.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try mappingErrors { try database.read(body) }
    }

    /// Runs `body` in a write transaction, with the same error mapping as `read`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try mappingErrors { try database.write(body) }
    }

    /// An asynchronous read: it waits without holding one of the few threads async tasks run on.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch {
            throw mapped(error)
        }
    }

    /// An asynchronous write, for the sync's writer task: it waits without holding a thread.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.write(body)
        } catch {
            throw mapped(error)
        }
    }

    /// Stops the statement running now (`archive sql --timeout`).
    func interrupt() {
        database.interrupt()
    }

    private func mappingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw mapped(error)
        }
    }

    private func mapped(_ error: any Error) -> any Error {
        error is DatabaseError ? StoreError(error, path: path ?? ":memory:") : error
    }

    static func configuration(readOnly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(30)
        config.label = "archive"
        if !readOnly {
            config.prepareDatabase { db in
                // WAL + NORMAL never corrupts on a crash; it may only lose the last
                // commits on power loss, which the next sync fetches again.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // A statement or savepoint that may have to be undone keeps the
                // pages it would restore in a sub-journal, a temp file by default.
                // In memory it costs no syscalls (one sync of 2,000 calls, each in
                // a savepoint, made 530,000 pwrite calls to it).
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        return config
    }

    /// The schema comes only from `migrations/*.sql`, embedded at build time,
    /// applied in order, each in its own transaction and recorded in `grdb_migrations`.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.all {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }()

    /// The names of the migrations this build knows, in order.
    public static var knownMigrations: [String] { EmbeddedMigrations.all.map(\.name) }

    /// Applies what is missing. A newer schema has been refused before this
    /// (`refuseNewerSchema`), without writing to the file.
    private func migrate() throws {
        // Two syncs may open a new archive at the same moment. GRDB decides which
        // migrations to run before it takes the write lock, so the slower process
        // may try one the other has just applied; that migration fails and is
        // rolled back whole (at the latest, on grdb_migrations' primary key).
        // Then read again and go on from where the other process got to.
        for attempt in 1... {
            do {
                try Self.migrator.migrate(database)
                return
            } catch {
                if try database.read({ try Self.migrator.hasCompletedMigrations($0) }) { return }
                if attempt == 5 { throw error }
            }
        }
    }

    private static func checkSchema(_ db: Database, path: String) throws {
        if try migrator.hasBeenSuperseded(db) {
            let applied = try migrator.appliedIdentifiers(db)
            let unknown = applied.subtracting(knownMigrations).sorted()
            throw StoreError.newerSchema(path: path, unknownMigrations: unknown)
        }
    }

    /// Another process creating the same new archive at this moment: switching
    /// a new file to WAL needs it to itself, and SQLite does not wait for that
    /// (no busy handler); and a read of a file being created can find its
    /// migrations table missing (seen with three syncs starting at once). Both
    /// pass: wait a little and open again.
    private static func racedAnotherOpener(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY
            || error.resultCode == .SQLITE_ERROR && (error.message ?? "").contains("no such table: grdb_migrations")
    }

    /// Opening a pool writes (it makes sure the WAL exists), so an archive
    /// from a newer version is recognised first, through a read-only connection,
    /// and left byte for byte as it was.
    private static func refuseNewerSchema(_ path: String) throws {
        guard let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > 0 else { return }
        let queue = try repairingAfterCrash(path) {
            try DatabaseQueue(path: path, configuration: configuration(readOnly: true))
        }
        defer { try? queue.close() }
        try queue.read { db in try checkSchema(db, path: path) }
    }

    /// A writer killed mid-transaction can leave a hot rollback journal (a new
    /// archive is killed before it is switched to WAL) or a WAL index that must
    /// be rebuilt, and a read-only connection may not repair either: SQLite
    /// answers SQLITE_READONLY_ROLLBACK, _RECOVERY or _CANTINIT, which is not a
    /// read-only file. When the file is writable, one read-write connection
    /// repairs it, as any SQLite client does on opening it (the repair only
    /// restores the last commit), and `body` (which opens the read-only
    /// connection: GRDB reads the schema as it opens) runs again.
    private static func repairingAfterCrash<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where leftByACrash(error) && access(path, W_OK) == 0 {
            let repair = try DatabaseQueue(path: path, configuration: configuration(readOnly: false))
            try repair.read { db in _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            try repair.close()
            return try body()
        }
    }

    private static func leftByACrash(_ error: DatabaseError) -> Bool {
        [.SQLITE_READONLY_ROLLBACK, .SQLITE_READONLY_RECOVERY, .SQLITE_READONLY_CANTINIT].contains(error.extendedResultCode)
    }

    /// A read-only file or file system is named as such up front: SQLite would
    /// fall back to a read-only connection and fail later, less clearly (as
    /// root, on a read-only mount, it cannot even open the WAL index).
    private static func checkWritable(_ path: String) throws(StoreError) {
        var fs = statvfs()
        let readOnlyMount = statvfs(path, &fs) == 0 && fs.f_flag & UInt(ST_RDONLY) != 0
        if readOnlyMount || access(path, W_OK) != 0 { throw .readOnly(path: path) }
    }

    /// SQLite gives the -wal and -shm files the database file's mode, so creating
    /// the file owner-only keeps all three private whatever the umask is.
    private static func createOwnerOnlyFileIfMissing(_ path: String) throws(StoreError) {
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            fchmod(fd, 0o600)
            close(fd)
            return
        }
        let code = errno
        if code == EEXIST { return }
        throw .cannotCreate(path: path, reason: String(cString: strerror(code)))
    }
}
