@testable import ArchiveKit
@testable import ArchivePostgres
import Foundation
import GRDB
import Testing

/// `--db`'s two kinds of archive, read without a server; and the table catalog
/// `archive copy` works from, checked against each store's real schema.
struct StoreLocationTests {
    @Test func aPostgresURLIsReadWithItsPasswordKeptOutOfItsDescription() throws {
        let location = try StoreLocation.parse("postgres://team:s3cr%40t@db.example.com:6543/calls?sslmode=verify-full", environment: [:])
        guard case .postgres(let pg) = location else { Issue.record("not read as PostgreSQL"); return }
        #expect(pg.user == "team" && pg.host == "db.example.com" && pg.port == 6543 && pg.database == "calls")
        #expect(pg.sslMode == .verifyFull)
        #expect(pg.password == "s3cr@t")
        #expect(location.description == "postgres://team@db.example.com:6543/calls?sslmode=verify-full")
        #expect(!"\(location)".contains("s3cr"))
    }

    @Test func defaultsComeFromTheEnvironmentAsPsqlTakesThem() throws {
        let env = ["PGUSER": "ops", "PGPORT": "5433", "PGPASSWORD": "from-env"]
        guard case .postgres(let pg) = try StoreLocation.parse("postgresql://db.internal", environment: env) else {
            Issue.record("not read as PostgreSQL"); return
        }
        #expect(pg.user == "ops" && pg.port == 5433 && pg.database == "ops" && pg.password == "from-env" && pg.sslMode == .prefer)
        #expect(try StoreLocation.parse("archive.sqlite", environment: env) == .sqlite(path: "archive.sqlite"))
        #expect(try StoreLocation.parse("./postgres://odd", environment: env) == .sqlite(path: "./postgres://odd"))
    }

    @Test func thePasswordFileIsReadAsLibpqReadsIt() {
        let file = """
            # comment
            other.host:5432:*:team:nope
            db.internal:5432:calls:team:pa\\:ss\\\\word
            *:*:*:*:fallback
            """
        #expect(PasswordFile.password(in: file, host: "db.internal", port: 5432, database: "calls", user: "team") == "pa:ss\\word")
        #expect(PasswordFile.password(in: file, host: "db.internal", port: 5433, database: "calls", user: "team") == "fallback")
    }

    @Test func aBrokenURLIsRefusedWithoutRepeatingItsPassword() {
        for url in ["postgres://u:hunter2@host:99999/db", "postgres://u:hunter2@host/db?sslmode=sometimes",
                    "postgres://u:hunter2@host/a/b", "postgres://u:hunter2@host/db?options=-c%20x"] {
            #expect(throws: StoreLocationError.self) { try StoreLocation.parse(url, environment: [:]) }
            do {
                _ = try StoreLocation.parse(url, environment: [:])
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
                #expect(error.exitStatus == .usage)
            }
        }
    }

    @Test func everyKindOfCommandNamesAnUnreachableArchiveWithoutThePassword() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        for arguments in [["show", "x", "--db", "postgres://u:hunter2@127.0.0.1:1/db"], ["stats"], ["sync", "-", "--provider", "vapi"],
                          ["ids", "--provider", "vapi"], ["rebuild"], ["recordings", "--provider", "vapi", "--recordings-dir", dir.path("rec")],
                          ["recording", "x", "--out", "x.wav", "--recordings-dir", dir.path("rec")]] {
            let env = arguments.first == "show" ? ["VAPI_API_KEY": "k"] : ["ARCHIVE_DB": "postgres://u:hunter2@127.0.0.1:1/db", "VAPI_API_KEY": "k"]
            let result = try CLI.run(arguments, environment: env, in: dir.url)
            #expect(result.status == 4, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("postgres://u@127.0.0.1:1/db"), "\(result.stderr)")
            #expect(!result.stderr.contains("hunter2") && !result.stdout.contains("hunter2"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("postgres:")), "no file was made of the URL")
    }

    @Test func aServerThatIsNotThereIsNamedWithoutThePassword() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try dir.write("empty.sqlite", "")
        let result = try CLI.run(["copy", "--from", "postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable", "--to", dir.path("b.sqlite")], in: dir.url)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("cannot connect to the PostgreSQL archive postgres://u@127.0.0.1:1/db"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test func migrationFilesSplitIntoStatementsAtSemicolonsOutsideQuotesBodiesAndComments() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b'); -- trailing; comment
            CREATE VIEW "v;w" AS SELECT 1;
            DO $$ BEGIN PERFORM 1; EXCEPTION WHEN others THEN NULL; END $$;
            SELECT '$$;';
            """
        #expect(PostgresMigrator.statements(sql) == ["CREATE TABLE a (x text DEFAULT 'a;b')", "CREATE VIEW \"v;w\" AS SELECT 1",
                                                     "DO $$ BEGIN PERFORM 1; EXCEPTION WHEN others THEN NULL; END $$", "SELECT '$$;'"])
        let shipped = PostgresMigrator.statements(ArchivePostgres.EmbeddedMigrations.all[0].sql)
        #expect(shipped.count > 20 && shipped.allSatisfy { !$0.hasPrefix("--") })
    }

    /// The catalog names every column of every table, in order: `PRAGMA table_info` of a new archive.
    @Test func theCopyCatalogMatchesTheSQLiteSchema() throws {
        let store = try ArchiveStore.inMemory()
        try store.read { db in
            for table in ArchiveTable.all {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table.name))").map { $0["name"] as String }
                #expect(columns == table.columns.map(\.name), "\(table.name)")
            }
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' AND name NOT LIKE 'grdb%'
                AND name NOT LIKE 'sqlite%' AND name <> 'pending_work'
                """)
            #expect(Set(tables) == Set(ArchiveTable.all.map(\.name)))
        }
    }

    @Test(.enabled(if: TestPostgres.available, TestPostgres.skipReason))
    func theCopyCatalogMatchesThePostgreSQLSchema() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await TestPostgres.withDatabase { url in
            _ = try dir.write("e.sqlite", "")
            let empty = try CLI.run(["copy", "--from", dir.path("none.sqlite"), "--to", url], environment: TestPostgres.loginEnvironment, in: dir.url)
            #expect(empty.status == 4, "a missing source is refused before the target is touched")
            let migrate = try CLI.run(["copy", "--from", url, "--to", dir.path("new.sqlite")], environment: TestPostgres.loginEnvironment, in: dir.url)
            #expect(migrate.status == 0, "\(migrate.stderr)")
            for table in ArchiveTable.all {
                let columns = try TestPostgres.psql(url, """
                    SELECT string_agg(column_name, ' ' ORDER BY ordinal_position) FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name = '\(table.name)' AND column_name <> 'search_vector'
                    """)
                #expect(columns == table.columns.map(\.name).joined(separator: " "), "\(table.name)")
            }
        }
    }
}
