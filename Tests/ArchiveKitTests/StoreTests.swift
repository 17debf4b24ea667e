@testable import ArchiveKit
import Foundation
import GRDB
import Testing

@Suite struct StoreTests {
    func sampleCall(_ id: String = "c1", turns: Int = 3) -> NormalizedCall {
        var call = NormalizedCall(provider: .puretalk, callID: id, rawJSON: #"{"x": 1}"#)
        call.status = "completed"
        call.isFinal = true
        call.turns = (0..<turns).map { i in
            var turn = NormalizedCall.Turn(index: i)
            turn.role = i % 2 == 0 ? "agent" : "user"
            turn.content = "turn \(i)"
            if i % 2 == 0 { turn.latency = .init(latency: 1.5, eouDelay: 0.2, llmLatency: 0.8, ttsLatency: 0.5) }
            return turn
        }
        call.analysis = NormalizedCall.Analysis()
        call.fields = [.init(name: "a", value: "1"), .init(name: "a", value: "2")]
        return call
    }

    @Test func migrationsAreAppliedAndRecorded() throws {
        let store = try ArchiveStore.inMemory()
        let applied = try store.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY 1") }
        #expect(applied == ArchiveStore.knownMigrations)
        #expect(applied.first == "0001_initial")
        let strict = try store.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_table_list WHERE strict = 1 AND schema = 'main' ORDER BY name")
        }
        #expect(strict == ["call_analysis", "call_latency_samples", "calls", "listing_ids", "listings", "pending_work", "post_analysis_fields", "recording_failures", "recordings",
                          "sync_failures", "sync_runs", "transcript_turns", "turn_latencies"])
    }

    @Test func resyncReplacesChildRowsAndKeepsNoStaleTurns() async throws {
        let store = try ArchiveStore.inMemory()
        try await store.save([.archived(sampleCall(turns: 5))], runID: nil)
        #expect(try rowCount(store, "transcript_turns") == 5)
        #expect(try rowCount(store, "turn_latencies") == 3)
        let rowid = try await store.read { try Int64.fetchOne($0, sql: "SELECT rowid FROM calls") }

        var shorter = sampleCall(turns: 2)
        shorter.analysis = nil
        shorter.fields = []
        try await store.save([.archived(shorter)], runID: nil)
        #expect(try rowCount(store, "calls") == 1)
        #expect(try rowCount(store, "transcript_turns") == 2)
        #expect(try rowCount(store, "turn_latencies") == 1)
        #expect(try rowCount(store, "call_analysis") == 0)
        #expect(try rowCount(store, "post_analysis_fields") == 0)
        // An upsert updates in place: the row keeps its rowid.
        let rowidAfter = try await store.read { try Int64.fetchOne($0, sql: "SELECT rowid FROM calls") }
        #expect(rowidAfter == rowid)
    }

    /// Each table's rows go in INSERTs of at most 256 rows (`TableRows.statementSizes`):
    /// a call of 1,201 turns, each with latencies, crosses several statements and every
    /// latency still points at its own turn, in a store whose full-text index agrees.
    @Test func aLongCallIsStoredWholeAcrossInsertChunks() async throws {
        let spec = CallSpec(id: "long", turns: (0..<1201).map { ("agent", "turn \($0) refund") },
                            llmLatencies: (0..<1201).map { Double($0) / 1000 })
        let store = try await archive([CallSpec(id: "first", turns: [("user", "hello")]), spec])
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.turn_index, t.content, l.llm_latency FROM transcript_turns t
                JOIN turn_latencies l ON l.turn_ref = t.id WHERE t.call_id = 'long' ORDER BY t.turn_index
                """)
        }
        #expect(rows.count == 1201)
        #expect(rows.allSatisfy { row in
            let i: Int = row[0]
            return row[1] == "turn \(i) refund" && row[2] == Double(i) / 1000
        })
        try checkFullTextIndexes(store)
        #expect(try CallSearch.run("refund", filter: CallFilter(), limit: nil, in: store).rows.count == 1201)
    }

    /// A batch writes its calls' rows first and their children together after:
    /// every child still finds its own call, and a call twice in one batch is
    /// stored once, with the second version's rows.
    @Test func aBatchOfCallsWritesEachCallsChildrenUnderItsOwnCall() async throws {
        let store = try ArchiveStore.inMemory()
        var twice = sampleCall("c2", turns: 4)
        twice.turns[0].content = "the second version"
        try await store.save([.archived(sampleCall("c1", turns: 3)), .archived(sampleCall("c2", turns: 7)),
                              .archived(sampleCall("c3", turns: 1)), .archived(twice)], runID: nil)
        let counts = try await store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.call_id, count(DISTINCT t.id), count(DISTINCT l.turn_ref), count(DISTINCT f.rowid) FROM calls c
                LEFT JOIN transcript_turns t ON t.call_ref = c.id AND t.call_id = c.call_id
                LEFT JOIN turn_latencies l ON l.turn_ref = t.id AND l.call_id = c.call_id AND l.turn_index = t.turn_index
                LEFT JOIN post_analysis_fields f ON f.call_ref = c.id AND f.call_id = c.call_id
                GROUP BY c.call_id ORDER BY c.call_id
                """).map { [$0[0] as String, "\($0[1] as Int)", "\($0[2] as Int)", "\($0[3] as Int)"] }
        }
        #expect(counts == [["c1", "3", "2", "2"], ["c2", "4", "2", "2"], ["c3", "1", "1", "2"]])
        #expect(try rowCount(store, "transcript_turns") == 8)
        let first = try await store.read { try String.fetchOne($0, sql: "SELECT content FROM transcript_turns WHERE call_id = 'c2' AND turn_index = 0") }
        #expect(first == "the second version")
        try checkFullTextIndexes(store)
    }

    @Test func rowsAreCutIntoStatementsOfAFewSizes() {
        func cut(_ count: Int) -> [Int] {
            let rows = TableRows(shape: ChildRows.fieldShape, rows: (0..<count).map { ["puretalk".databaseValue, "c".databaseValue, $0.databaseValue, "n".databaseValue, .null] })
            let statements = rows.statements { _ in 7.databaseValue }
            let values = statements.flatMap { $0.values }
            // Every row once, in order, each led by its parent.
            #expect(values.count == count * rows.columns.count)
            #expect(stride(from: 0, to: values.count, by: rows.columns.count).allSatisfy { values[$0] == 7.databaseValue })
            #expect(stride(from: 3, to: values.count, by: rows.columns.count).map { values[$0] } == (0..<count).map(\.databaseValue))
            return statements.map { $0.sql.components(separatedBy: "), (").count }
        }
        #expect(cut(0) == [])
        #expect(cut(20) == [20])
        #expect(cut(32) == [32])
        #expect(cut(600) == [256, 256, 64, 24])
    }

    @Test func aSuccessClearsAnEarlierFailure() async throws {
        let store = try ArchiveStore.inMemory()
        let failure = SyncFailure(provider: .puretalk, callID: "c1", httpStatus: 503, error: "HTTP 503", attempts: 3)
        try await store.save([.failed(failure)], runID: nil)
        #expect(try rowCount(store, "sync_failures") == 1)
        try await store.save([.failed(failure)], runID: nil)
        #expect(try rowCount(store, "sync_failures") == 1)
        try await store.save([.archived(sampleCall())], runID: nil)
        #expect(try rowCount(store, "sync_failures") == 0)
    }

    @Test func aCallTheDatabaseRefusesIsRecordedWholeOrNotAtAll() async throws {
        let store = try ArchiveStore.inMemory()
        var broken = sampleCall("bad", turns: 4)
        broken.turns[3].index = 1  // duplicate turn key: the fourth insert fails
        let refused = try await store.save([.archived(sampleCall("good")), .archived(broken)], runID: nil)
        #expect(refused.map(\.callID) == ["bad"])
        let stored = try await store.read { try String.fetchAll($0, sql: "SELECT call_id FROM calls") }
        #expect(stored == ["good"])
        let turnsOfBad = try await store.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM transcript_turns WHERE call_id = 'bad'")
        }
        #expect(turnsOfBad == 0)
        #expect(try rowCount(store, "sync_failures") == 1)
    }

    @Test func finalIDsSkipsOnlyFinalCalls() async throws {
        let store = try ArchiveStore.inMemory()
        var open = sampleCall("open")
        open.isFinal = false
        try await store.save([.archived(sampleCall("done")), .archived(open)], runID: nil)
        #expect(try store.finalIDs(provider: .puretalk, among: ["done", "open", "new"]) == ["done"])
        #expect(try store.finalIDs(provider: .puppeteer, among: ["done"]) == [])
    }

    @Test func deletingACallCascades() async throws {
        let store = try ArchiveStore.inMemory()
        try await store.save([.archived(sampleCall())], runID: nil)
        try await store.write { try $0.execute(sql: "DELETE FROM calls") }
        for table in ["transcript_turns", "turn_latencies", "call_analysis", "post_analysis_fields"] {
            #expect(try rowCount(store, table) == 0, "\(table)")
        }
    }
}

@Suite struct StoreFileTests {
    @Test func createsTheDatabaseOwnerOnlyEvenWithAPermissiveUmask() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let old = umask(0)
        defer { umask(old) }
        let path = dir.path("a.sqlite")
        let store = try ArchiveStore.open(path: path)
        try await store.save([.archived(NormalizedCall(provider: .puretalk, callID: "x", rawJSON: "{}"))], runID: nil)
        for file in [path, path + "-wal", path + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
    }

    @Test func refusesADatabaseFromANewerSchema() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("a.sqlite")
        _ = try ArchiveStore.open(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('9999_from_the_future')") }
        try queue.close()
        let error = #expect(throws: StoreError.self) { try ArchiveStore.open(path: path) }
        #expect(error?.description.contains("newer version") == true)
        #expect(error?.description.contains("9999_from_the_future") == true)
        #expect(throws: StoreError.self) { try ArchiveStore.openReadOnly(path: path) }
    }

    @Test func refusesAFileThatIsNotSQLite() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = try dir.write("notes.sqlite", String(repeating: "not a database\n", count: 100))
        let error = #expect(throws: StoreError.self) { try ArchiveStore.open(path: path) }
        #expect(error?.description.contains("not an SQLite archive") == true)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("not a database"))
    }

    /// A writer killed mid-transaction in rollback-journal mode (a new archive
    /// killed before its switch to WAL) leaves a hot journal, which a read-only
    /// connection may not roll back: seen as "is read-only" after a kill -9.
    /// Both ways of opening repair it and see the last commit.
    @Test func aHotJournalLeftByACrashIsRolledBackNotCalledReadOnly() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("live.sqlite")
        try await ArchiveStore.open(path: path).save([.archived(NormalizedCall(provider: .puretalk, callID: "kept", rawJSON: "{}"))], runID: nil)
        let queue = try DatabaseQueue(path: path)
        try await queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 10")
            try db.inTransaction {
                try db.execute(sql: "DELETE FROM calls; CREATE TABLE filler(x)")
                try db.execute(sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO filler SELECT randomblob(1000) FROM n")
                // The pair of files as a crash at this moment leaves them.
                for suffix in ["", "-journal"] {
                    try FileManager.default.copyItem(atPath: path + suffix, toPath: dir.path("crashed.sqlite") + suffix)
                }
                return .rollback
            }
        }
        try queue.close()

        for (name, open) in [("read-only", { try ArchiveStore.openReadOnly(path: $0) }), ("writable", { try ArchiveStore.open(path: $0) })]
            as [(String, (String) throws -> ArchiveStore)] {
            let copy = dir.path("\(name).sqlite")
            for suffix in ["", "-journal"] {
                try FileManager.default.copyItem(atPath: dir.path("crashed.sqlite") + suffix, toPath: copy + suffix)
            }
            #expect(FileManager.default.fileExists(atPath: copy + "-journal"))
            let store = try open(copy)
            #expect(try await store.read { try String.fetchAll($0, sql: "SELECT call_id FROM calls") } == ["kept"], "\(name)")
            #expect(try await store.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"], "\(name)")
        }
    }

    @Test func readOnlyOpenOfAMissingFileSaysSo() throws {
        let error = #expect(throws: StoreError.self) { try ArchiveStore.openReadOnly(path: "/nonexistent/a.sqlite") }
        #expect(error?.description.contains("no archive at /nonexistent/a.sqlite") == true)
    }
}
