@testable import ArchiveKit
import Foundation
import Testing
import VendorSimulator

/// `archive rebuild --db postgres://…`: every derived row comes back from the
/// stored bodies, with no network, keeping what a rebuild must keep.
extension PostgresSuites {
@Suite(.timeLimit(.minutes(6)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresRebuildTests {
    @Test func rebuildRederivesDamagedRowsAndKeepsFetchedAtFailuresAndUndecodableCalls() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let vendor = SimulatedVendor.retell
        let ids = vendor.sampleIDs(count: 12)
        let env = TestPostgres.loginEnvironment.merging([vendor.provider.apiKeyVariable: "sim-key"]) { $1 }
        try await TestPostgres.withDatabase { url in
            try await withSimulator(.init(maxLifetime: .seconds(330))) { server in
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let sync = try CLI.run(["sync", list, "--provider", vendor.rawValue, "--base-url", server.baseURL(for: vendor), "--db", url, "-q"],
                                       environment: env, in: dir.url)
                #expect(sync.status == 0, "\(sync.stderr)")
            }
            func show(_ id: String) throws -> String {
                let shown = try CLI.run(["show", id, "--json", "--db", url], environment: TestPostgres.loginEnvironment, in: dir.url)
                #expect(shown.status == 0, "\(shown.stderr)")
                return shown.stdout
            }
            let before = try ids.map(show)
            let fetchedAt = try TestPostgres.psql(url, "SELECT string_agg(call_id || ' ' || fetched_at, ',' ORDER BY call_id) FROM calls")
            let turned = try TestPostgres.psql(url, """
                SELECT call_id FROM transcript_turns WHERE call_id NOT IN ('\(ids[1])', '\(ids[2])', '\(ids[3])')
                GROUP BY call_id ORDER BY count(*) DESC LIMIT 1
                """)

            // Damage: one call's turns gone, another's column wrong, a third's body a placeholder; a failure on record.
            try TestPostgres.psql(url, """
                DELETE FROM transcript_turns WHERE call_id = '\(turned)';
                UPDATE calls SET duration_ms = -1, status = 'wrong' WHERE call_id = '\(ids[1])';
                UPDATE calls SET raw_json = '{}' WHERE call_id = '\(ids[2])';
                INSERT INTO sync_failures (provider, call_id, http_status, error, attempts, last_attempt_at)
                  VALUES ('\(vendor.rawValue)', '\(ids[3])', 500, 'kept', 3, now());
                """)
            let placeholderTurns = try TestPostgres.psql(url, "SELECT count(*) FROM transcript_turns WHERE call_id = '\(ids[2])'")
            #expect(try show(turned) != before[ids.firstIndex(of: turned)!])

            let rebuilt = try CLI.run(["rebuild", "--db", url], environment: TestPostgres.loginEnvironment, in: dir.url)
            #expect(rebuilt.status == ExitStatus.someFailed.rawValue, "the placeholder body is reported: \(rebuilt.stdout)\(rebuilt.stderr)")
            #expect(rebuilt.stdout.contains("Rebuilt \(ids.count - 1) call(s)"), "\(rebuilt.stdout)")
            #expect(rebuilt.stdout.contains("\(ids[2]): the stored body does not name this call"), "\(rebuilt.stdout)")
            #expect(!rebuilt.stdout.contains(TestPostgres.password) && !rebuilt.stderr.contains(TestPostgres.password))

            for (id, shown) in zip(ids, before) where id != ids[2] {
                #expect(try show(id) == shown, "\(id) is as the sync left it")
            }
            #expect(try TestPostgres.psql(url, "SELECT count(*) FROM transcript_turns WHERE call_id = '\(ids[2])'") == placeholderTurns,
                    "an undecodable body leaves its rows as they were")
            let fetchedAtAfter = try TestPostgres.psql(url, "SELECT string_agg(call_id || ' ' || fetched_at, ',' ORDER BY call_id) FROM calls")
            #expect(fetchedAtAfter == fetchedAt)
            #expect(try TestPostgres.psql(url, "SELECT error FROM sync_failures WHERE call_id = '\(ids[3])'") == "kept")

            // A rebuild a migration asks for runs before the next command.
            try TestPostgres.psql(url, """
                UPDATE calls SET status = 'wrong' WHERE call_id = '\(ids[4])';
                INSERT INTO pending_work (task, requested_by) VALUES ('rebuild', 'test');
                """)
            let listed = try CLI.run(["list", "--db", url], environment: TestPostgres.loginEnvironment, in: dir.url)
            #expect(listed.status == 0 && !listed.stdout.contains("wrong"), "\(listed.stdout)\(listed.stderr)")
            #expect(try TestPostgres.psql(url, "SELECT count(*) FROM pending_work") == "0")
            #expect(try show(ids[4]) == before[4])
        }
    }
}
}
