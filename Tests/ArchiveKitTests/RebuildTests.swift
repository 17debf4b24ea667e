@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// `archive rebuild` and migrations that ask for one: normalized tables come
/// back from the stored bodies alone.
@Suite(.timeLimit(.minutes(6)))
struct RebuildTests {
    /// Every normalized row, without local keys and fetch times, as comparable text.
    static func normalizedRows(_ path: String) throws -> [String: [String]] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        let queries = [
            "calls": "SELECT * FROM calls",
            "transcript_turns": "SELECT * FROM transcript_turns",
            "turn_latencies": "SELECT * FROM turn_latencies",
            "call_analysis": "SELECT * FROM call_analysis",
            "post_analysis_fields": "SELECT * FROM post_analysis_fields",
            "call_latency_samples": "SELECT * FROM call_latency_samples",
        ]
        let local: Set<String> = ["id", "call_ref", "turn_ref", "fetched_at"]
        return try queue.read { db in
            try queries.mapValues { sql in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.columnNames.filter { !local.contains($0) }.map { "\($0)=\(row[$0] as DatabaseValue)" }.joined(separator: "|")
                }.sorted()
            }
        }
    }

    /// Every schema object, as `type name sql`, by name.
    static func schema(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT type, name, sql FROM sqlite_master ORDER BY name").map { row in
                "\(row["type"] as String) \(row["name"] as String) \(row["sql"] as String? ?? "")"
            }
        }
    }

    /// An archive whose derived rows were damaged, once rebuilt, equals a fresh
    /// sync of the same calls, row for row, with no request.
    @Test func aRebuiltArchiveEqualsAFreshSync() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let rebuilt = dir.path("rebuilt.sqlite"), fresh = dir.path("fresh.sqlite")
        try await withSimulator { server in
            for path in [rebuilt, fresh] {
                let store = try ArchiveStore.open(path: path)
                for vendor in SimulatedVendor.allCases {
                    _ = try await runSync(store, try simulatorSync(server, vendor), ids: vendor.sampleIDs(count: 40))
                }
            }
            let requests = server.totalRequests
            try await DatabaseQueue(path: rebuilt).write { db in
                try db.execute(sql: """
                    DELETE FROM transcript_turns WHERE call_id IN ('pt-call-000003', 'pp-call-000004');
                    DELETE FROM call_analysis WHERE provider = 'puretalk';
                    UPDATE calls SET status = 'tampered', cost_usd = NULL, started_at = NULL;
                    UPDATE post_analysis_fields SET value = 'x';
                    DELETE FROM call_latency_samples WHERE call_id = 'rt-call-000003';
                    UPDATE call_latency_samples SET seconds = -1 WHERE call_id = 'rt-call-000004';
                    DELETE FROM transcript_turns WHERE call_id = 'vc-call-000005';
                    """)
            }
            #expect(try Self.normalizedRows(rebuilt) != Self.normalizedRows(fresh), "the damage should show")
            let schemaBefore = try Self.schema(rebuilt)
            let result = try CLI.run(["rebuild", "--db", rebuilt], in: dir.url)
            // The full-text triggers it suspends come back exactly as the migrations wrote them.
            #expect(try Self.schema(rebuilt) == schemaBefore)
            #expect(schemaBefore.filter { $0.hasPrefix("trigger") }.count == 6)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("Rebuilt 160 call(s)"))
            #expect(server.totalRequests == requests, "a rebuild makes no request")
        }
        let a = try Self.normalizedRows(rebuilt), b = try Self.normalizedRows(fresh)
        for table in b.keys.sorted() {
            #expect(a[table] == b[table], "\(table) differs after the rebuild")
            #expect(!(b[table] ?? []).isEmpty, "\(table) is empty, so the comparison proves nothing")
        }
        let store = try ArchiveStore.open(path: rebuilt)
        try checkFullTextIndexes(store)
    }

    /// A rebuild writes only what comes out different: with nothing changed no
    /// turn is rewritten (their row ids stay); with every call's turns damaged,
    /// past the point where it suspends the full-text triggers, it rewrites
    /// them all, rebuilds both indexes in bulk and restores the triggers.
    @Test func aRebuildRewritesOnlyWhatDiffersAndReindexesInBulk() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("archive.sqlite")
        let store = try ArchiveStore.open(path: path)
        try await withSimulator { server in
            for vendor in SimulatedVendor.allCases {
                _ = try await runSync(store, try simulatorSync(server, vendor), ids: vendor.sampleIDs(count: 30))
            }
        }
        let synced = try Self.normalizedRows(path), schema = try Self.schema(path)
        func turnIDs() throws -> [Int64] { try store.read { try Int64.fetchAll($0, sql: "SELECT id FROM transcript_turns ORDER BY id") } }
        let before = try turnIDs()
        #expect(before.count > 500)

        #expect(try store.rebuild(suspendIndexingAfter: 1).calls == 120)
        #expect(try turnIDs() == before, "nothing differed, so no turn was rewritten")
        #expect(try Self.schema(path) == schema)

        try await store.write { db in try db.execute(sql: "UPDATE transcript_turns SET content = 'tampered'") }
        #expect(try store.rebuild(suspendIndexingAfter: 1).calls == 120)
        let after = try turnIDs()
        #expect(after.count == before.count && after.min()! > before.max()!, "every call's turns were rewritten")
        #expect(try Self.normalizedRows(path) == synced)
        #expect(try Self.schema(path) == schema, "the full-text triggers are back as the migrations wrote them")
        try checkFullTextIndexes(store)
        let tampered = try CallSearch.run("tampered", filter: CallFilter(), limit: nil, in: store)
        let refund = try CallSearch.run("refund", filter: CallFilter(), limit: nil, in: store)
        #expect(tampered.rows.isEmpty && !refund.rows.isEmpty, "the rebuilt index holds the rebuilt turns' words only")
        // A turn synced after the rebuild is indexed: the restored triggers work.
        try await store.write { db in try db.execute(sql: "UPDATE transcript_turns SET content = 'zanzibar' WHERE id = ?", arguments: [after[0]]) }
        #expect(try CallSearch.run("zanzibar", filter: CallFilter(), limit: nil, in: store).rows.count == 1)
    }

    /// A field the vendor added after calls were archived (call_cost) becomes a
    /// column through migration 0005 and the rebuild it asks for, without
    /// fetching anything again.
    @Test func aNewFieldBecomesQueryableAfterAMigrationAndARebuild() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("archive.sqlite")
        try await withSimulator { server in
            let store = try ArchiveStore.open(path: path)
            for vendor in SimulatedVendor.allCases {
                _ = try await runSync(store, try simulatorSync(server, vendor), ids: vendor.sampleIDs(count: 30))
            }
            let requests = server.totalRequests
            // The archive as the version before 0005 left it: no column, migration not applied.
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: """
                    ALTER TABLE calls DROP COLUMN cost_usd;
                    DELETE FROM grdb_migrations WHERE identifier = '0005_call_cost';
                    """)
            }
            _ = try ArchiveStore.open(path: path)  // migrates, then rebuilds
            #expect(server.totalRequests == requests, "nothing was fetched again")
        }
        let queue = try DatabaseQueue(path: path)
        let (costs, pending, applied) = try await queue.read { db in
            (try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT call_id, cost_usd FROM calls").map {
                ($0["call_id"] as String, $0["cost_usd"] as Double?)
             }),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM pending_work"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        #expect(applied.contains("0005_call_cost") && pending == 0)
        #expect(costs.count == 120)
        // Written out from the simulator's bodies: PureTalk's `call_cost` is dollars
        // (0.4404), PuppeteerAI's `call_cost.combined_cost` cents (16.56); calls still
        // in progress or scheduled carry none. Retell's combined_cost is cents (66.47).
        let expected: [String: Double?] = [
            "pt-call-000001": 0.4404, "pt-call-000002": 0.1728, "pt-call-000003": 0.7176, "pt-call-000005": nil,
            "pp-call-000001": 0.1656, "pp-call-000002": 0.132, "pp-call-000004": 0.5088, "pp-call-000014": nil,
            "rt-call-000001": 0.6647, "rt-call-000002": 0.5888, "rt-call-000008": nil,
            "vc-call-000001": 0.0319, "vc-call-000002": 0.616,  // Vapi: dollars
        ]
        for (id, cost) in expected {
            let found = try #require(costs[id], "\(id) is archived")
            #expect(found == cost || (found != nil && cost != nil && abs(found! - cost!) < 1e-12), "\(id): \(String(describing: found))")
        }
        #expect(costs.values.filter { $0 != nil }.count > 40, "most sample calls have ended and carry a cost")
    }
}
