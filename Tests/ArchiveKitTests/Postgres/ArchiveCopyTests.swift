@testable import ArchiveKit
import ArchivePostgres
import Crypto
import Foundation
import GRDB
import Testing

/// The PostgreSQL suites, one test at a time: each starts `archive`
/// processes (eight syncs at once, in one), and run side by side they would
/// crowd out the time-limited tests of the rest of the suite on two cores.
@Suite(.serialized)
struct PostgresSuites {}

/// The demo's archive (every vendor, failures, recordings), plus a listing and
/// a recording failure: a row in every table `archive copy` moves. Built once
/// per test run (a demo costs seconds of CPU), and copied for each test.
enum SourceArchive {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: TempDirectory?

    static func copy(into dir: TempDirectory) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let source: String
        if let built {
            source = built.path("archive-demo.sqlite")
        } else {
            let made = try TempDirectory()
            source = try build(in: made)
            built = made
        }
        let path = dir.path("source.sqlite")
        let queue = try DatabaseQueue(path: source)
        try queue.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        try queue.close()
        return path
    }

    /// The recordings of the archive `copy` copies (which stay where the demo wrote them).
    static var recordingsDirectory: String {
        lock.withLock { built?.path("archive-demo.sqlite.recordings") ?? "" }
    }

    /// The archive as a file in a fresh directory and copied into a fresh PostgreSQL database.
    static func withCopyInPostgres(_ body: (_ dir: TempDirectory, _ file: String, _ url: String) async throws -> Void) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let file = try copy(into: dir)
        try await TestPostgres.withDatabase { url in
            let copy = try CLI.run(["copy", "--from", file, "--to", url], environment: TestPostgres.loginEnvironment, in: dir.url)
            try #require(copy.status == 0, "\(copy.stderr)")
            try await body(dir, file, url)
        }
    }

    private static func build(in dir: TempDirectory) throws -> String {
        let demo = try CLI.run(["demo", "--count", "6"], in: dir.url)
        try #require(demo.status == 0, "\(demo.stderr)")
        let path = dir.path("archive-demo.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO listings (provider, base_url, query, next_page, pages, ids, started_at, updated_at, finished_at)
                VALUES ('vapi', 'http://127.0.0.1:1/vapi', 'since=2026-01-01', NULL, 2, 3,
                        '2026-11-30T10:00:00.000001Z', '2026-11-30T10:00:01.500000Z', NULL);
                INSERT INTO listing_ids (listing_id, position, call_id)
                SELECT last_insert_rowid(), value, 'vapi-call-' || value FROM json_each('[0,1,2]');
                INSERT INTO recording_failures (provider, call_id, variant, http_status, error, attempts, last_attempt_at, run_id)
                SELECT provider, call_id, 'stereo', 410, 'the link expired', 3, '2026-11-30T10:00:02.000000Z', (SELECT max(run_id) FROM sync_runs)
                FROM calls WHERE provider = 'vapi' LIMIT 1;
                """)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_failures")! > 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM recordings")! > 0)
        }
        try queue.close()
        return path
    }
}

extension PostgresSuites {
/// `archive copy`, run as a user runs it, between SQLite files and into a real
/// PostgreSQL server and back: every table's rows, `show --json` of every
/// call and the raw bodies come back the same.
@Suite(.timeLimit(.minutes(6)))
struct ArchiveCopyTests {
    func sourceArchive(_ dir: TempDirectory) throws -> String {
        try SourceArchive.copy(into: dir)
    }

    /// Every table's rows, without the row keys each archive assigns itself; a
    /// reference is shown as its parent's natural key. Sorted, so two archives compare.
    func contents(_ path: String) throws -> [String: [String]] {
        let queue = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        defer { try? queue.close() }
        return try queue.read { db in
            var tables: [String: [String]] = [:]
            for table in ArchiveTable.all {
                var columns = table.copiedColumns.map { "t." + $0.name }
                var join = ""
                if let reference = table.reference {
                    columns += reference.match.map { "p." + $0.parent }
                    join = " LEFT JOIN \(reference.parent) p ON p.\(reference.parentKey) = t.\(reference.column)"
                }
                let rows = try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table.name) t\(join)")
                tables[table.name] = rows.map { row in row.databaseValues.map(\.description).joined(separator: " | ") }.sorted()
            }
            return tables
        }
    }

    /// The calls of an SQLite archive, as "provider call_id".
    func callIDs(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "SELECT provider || ' ' || call_id FROM calls ORDER BY id") }
    }

    func copy(_ from: String, _ to: String, in dir: TempDirectory) throws -> CLI.Result {
        try CLI.run(["copy", "--from", from, "--to", to], environment: TestPostgres.loginEnvironment, in: dir.url)
    }

    /// `show --json` and `show --raw` of every call, as the command renders them
    /// (in-process, as `show` does: a process per call would cost more than the copies).
    func shown(_ db: String, calls keys: [String]) async throws -> [String: String] {
        let reader: any CallReader
        switch try StoreLocation.parse(db, environment: TestPostgres.loginEnvironment) {
        case .sqlite(let path):
            reader = try ArchiveStore.openReadOnly(path: path)
            return try await render(keys, reader)
        case .postgres(let location):
            return try await PostgresArchive.with(location) { try await render(keys, $0) }
        }
    }

    private func render(_ keys: [String], _ reader: any CallReader) async throws -> [String: String] {
        var out: [String: String] = [:]
        for key in keys {
            let parts = key.split(separator: " ").map(String.init)
            let call = try #require(try await reader.storedCall(provider: Provider(rawValue: parts[0])!, id: parts[1]), "\(key)")
            out[key] = CallPresenter.json(call).prettyText + "\n--raw--\n" + call.rawJSON
        }
        return out
    }

    func expectSameShowJSON(_ a: String, _ b: String, in dir: TempDirectory) async throws {
        let keys = try callIDs(a.hasPrefix("postgres") ? b : a)
        let left = try await shown(a, calls: keys), right = try await shown(b, calls: keys)
        #expect(left.count == keys.count)
        for key in keys { #expect(left[key] == right[key], "show of \(key) differs after the copy") }
        // And once through the command itself, on each side.
        let parts = keys[0].split(separator: " ").map(String.init)
        let one = try CLI.run(["show", parts[1], "--provider", parts[0], "--json", "--db", a], environment: TestPostgres.loginEnvironment, in: dir.url)
        let other = try CLI.run(["show", parts[1], "--provider", parts[0], "--json", "--db", b], environment: TestPostgres.loginEnvironment, in: dir.url)
        #expect(one.status == 0 && one.stdout == other.stdout && one.stdout.hasPrefix("{"), "\(one.stderr)\(other.stderr)")
    }

    @Test func aCopyIntoAnotherFileKeepsEveryRowAndASecondCopyChangesNothing() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let source = try sourceArchive(dir), target = dir.path("copy.sqlite")
        let first = try copy(source, target, in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let calls = try callIDs(source).count
        #expect(first.stdout.contains("Copied \(calls) call(s)"), "\(first.stdout)")
        let expected = try contents(source)
        #expect(expected.values.allSatisfy { !$0.isEmpty }, "the source has rows in every table")
        #expect(try contents(target) == expected)
        try await expectSameShowJSON(source, target, in: dir)

        let second = try copy(source, target, in: dir)
        #expect(second.status == 0)
        #expect(second.stdout.contains("Copied 0 call(s)") && second.stdout.contains("\(calls) were there already"), "\(second.stdout)")
        #expect(try contents(target) == expected)
        // The copy's turns are searchable: the full-text triggers ran.
        #expect(try refundMatches(target) == (try refundMatches(source)))
    }

    func refundMatches(_ path: String) throws -> Int? {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM transcript_turns_fts WHERE transcript_turns_fts MATCH 'refund'") }
    }

    func bodies(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "SELECT raw_json FROM calls ORDER BY provider, call_id") }
    }

    @Test func aCallTheTargetHoldsIsLeftAsItIsAndTheOthersArrive() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let source = try sourceArchive(dir), target = dir.path("copy.sqlite")
        #expect(try copy(source, target, in: dir).status == 0)
        // The target's own version of one call, and one call it lacks.
        let queue = try DatabaseQueue(path: target)
        let (kept, removed) = try queue.write { db -> (String, String) in
            let ids = try String.fetchAll(db, sql: "SELECT call_id FROM calls ORDER BY id LIMIT 2")
            try db.execute(sql: "UPDATE calls SET status = 'target-version' WHERE call_id = ?", arguments: [ids[0]])
            try db.execute(sql: "DELETE FROM transcript_turns WHERE call_id = ? AND turn_index = 0", arguments: [ids[0]])
            try db.execute(sql: "DELETE FROM calls WHERE call_id = ?", arguments: [ids[1]])
            return (ids[0], ids[1])
        }
        try queue.close()
        let again = try copy(source, target, in: dir)
        #expect(again.status == 0)
        #expect(again.stdout.contains("Copied 1 call(s)"), "\(again.stdout)")
        let check = try DatabaseQueue(path: target)
        try check.read { db throws in
            #expect(try String.fetchOne(db, sql: "SELECT status FROM calls WHERE call_id = ?", arguments: [kept]) == "target-version")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM transcript_turns WHERE call_id = ? AND turn_index = 0", arguments: [kept]) == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM calls WHERE call_id = ?", arguments: [removed]) == 1)
        }
        let sourceTurns = try DatabaseQueue(path: source).read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM transcript_turns WHERE call_id = ?", arguments: [removed])
        }
        #expect(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM transcript_turns WHERE call_id = ?", arguments: [removed]) } == sourceTurns)
    }

    @Test(.enabled(if: TestPostgres.available, TestPostgres.skipReason))
    func anArchiveRoundTripsThroughPostgreSQL() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let source = try sourceArchive(dir), back = dir.path("back.sqlite")
        try await TestPostgres.withDatabase { url in
            let into = try copy(source, url, in: dir)
            #expect(into.status == 0, "\(into.stderr)")
            let out = try copy(url, back, in: dir)
            #expect(out.status == 0, "\(out.stderr)")
            #expect(try contents(back) == (try contents(source)))
            try await expectSameShowJSON(source, back, in: dir)
            // `show` answers the same from PostgreSQL itself.
            try await expectSameShowJSON(source, url, in: dir)

            // The bodies in PostgreSQL are the bytes the vendor sent.
            let digest = Insecure.MD5.hash(data: Data(try bodies(source).joined(separator: "\u{1}").utf8)).map { String(format: "%02x", $0) }.joined()
            let served = try TestPostgres.psql(url, "SELECT md5(string_agg(raw_json, chr(1) ORDER BY provider COLLATE \"C\", call_id COLLATE \"C\")) FROM calls")
            #expect(served == digest)
            // Its own types: times, flags and JSON are PostgreSQL's.
            let types = try TestPostgres.psql(url, """
                SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) FROM information_schema.columns
                WHERE table_name = 'calls' AND column_name IN ('started_at', 'is_final', 'metadata', 'raw_json')
                """)
            #expect(types == "is_final boolean, metadata json, raw_json text, started_at timestamp with time zone")

            let again = try copy(source, url, in: dir)
            #expect(again.stdout.contains("Copied 0 call(s)"), "\(again.stdout)")
        }
    }

    @Test(.enabled(if: TestPostgres.available, TestPostgres.skipReason))
    func threeCopiesAtOnceMigrateOnceAndStoreEachCallOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let source = try sourceArchive(dir)
        try await TestPostgres.withDatabase { url in
            let copies = try (0..<3).map { _ in
                try CLI.spawn(["copy", "--from", source, "--to", url, "--batch", "3"], environment: TestPostgres.loginEnvironment, in: dir.url)
            }
            let finished = await pollUntil(timeout: .seconds(120), { copies.allSatisfy { !$0.isRunning } })
            #expect(finished)
            copies.filter(\.isRunning).forEach { $0.terminate() }
            #expect(copies.map(\.terminationStatus) == [0, 0, 0])
            let migrations = try TestPostgres.psql(url, "SELECT count(*) FROM archive_migrations")
            #expect(migrations == "\(ArchivePostgresTests.knownMigrations)")
            let back = dir.path("back.sqlite")
            #expect(try copy(url, back, in: dir).status == 0)
            #expect(try contents(back) == (try contents(source)))
        }
    }

    @Test(.enabled(if: TestPostgres.available, TestPostgres.skipReason))
    func aNewerSchemaIsRefusedAndLeftAsItWas() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let source = try sourceArchive(dir)
        try await TestPostgres.withDatabase { url in
            try TestPostgres.psql(url, """
                CREATE TABLE archive_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                INSERT INTO archive_migrations (name) VALUES ('0001_initial'), ('9999_from_the_future');
                """)
            let refused = try copy(source, url, in: dir)
            #expect(refused.status == 4)
            #expect(refused.stderr.contains("9999_from_the_future") && refused.stderr.contains("newer version"), "\(refused.stderr)")
            #expect(try TestPostgres.psql(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == "1")
        }
    }

    @Test(.enabled(if: TestPostgres.available, TestPostgres.skipReason))
    func aWrongPasswordIsSaidWithoutPrintingAnyPassword() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let source = try sourceArchive(dir)
        let url = try #require(TestPostgres.baseURL)
        let wrong = "wrong-\(UUID().uuidString)"
        let withPassword = url.replacingOccurrences(of: "://archive_test@", with: "://archive_test:\(wrong)@")
        let refused = try CLI.run(["copy", "--from", source, "--to", withPassword], in: dir.url)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("rejected the login"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(wrong) && !refused.stdout.contains(wrong))
        // The right password in the URL works, and is printed nowhere either.
        try await TestPostgres.withDatabase { target in
            let right = target.replacingOccurrences(of: "://archive_test@", with: "://archive_test:\(TestPostgres.password)@")
            let copied = try CLI.run(["copy", "--from", source, "--to", right], in: dir.url)
            #expect(copied.status == 0, "\(copied.stderr)")
            #expect(!copied.stdout.contains(TestPostgres.password) && !copied.stderr.contains(TestPostgres.password))
            let dump = try TestPostgres.psql(target, "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM sync_runs) t")
            #expect(!dump.isEmpty && !dump.contains(TestPostgres.password))
        }
    }
}
}

enum ArchivePostgresTests {
    static var knownMigrations: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/migrations/postgres").filter { $0.hasSuffix(".sql") }.count) ?? -1
    }

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }
}
