@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// `archive rebuild` and migrations that ask for one: normalized tables come
/// back from the stored bodies alone.
@Suite(.timeLimit(.minutes(3)))
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
                    """)
            }
            #expect(try Self.normalizedRows(rebuilt) != Self.normalizedRows(fresh), "the damage should show")
            let result = try CLI.run(["rebuild", "--db", rebuilt], in: dir.url)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("Rebuilt 80 call(s)"))
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
        let (costs, pending, applied) = try queue.read { db in
            (try Row.fetchAll(db, sql: """
                SELECT provider, cost_usd,
                       coalesce(json_extract(raw_json, '$.results.call_cost'), json_extract(raw_json, '$.call_cost.combined_cost') / 100.0) AS expected
                FROM calls
                """),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM pending_work"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        #expect(applied.contains("0005_call_cost") && pending == 0)
        #expect(costs.count == 60)
        let priced = costs.filter { $0["expected"] as Double? != nil }
        #expect(priced.count > 40, "most sample calls have ended and carry a cost")
        for row in costs {
            let found: Double? = row["cost_usd"], expected: Double? = row["expected"]
            #expect(found == expected || (found != nil && expected != nil && abs(found! - expected!) < 1e-9), "\(row)")
        }
        #expect(Set(priced.map { $0["provider"] as String }) == ["puretalk", "puppeteer"])
    }
}
