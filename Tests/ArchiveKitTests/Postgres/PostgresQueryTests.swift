import Foundation
import GRDB
import Testing

/// `archive sql` on a PostgreSQL archive, beside the same query on the SQLite
/// file it was copied from: the same rows, parameters and refusals, and its
/// own limits (a READ ONLY transaction, statement_timeout).
extension PostgresSuites {
@Suite(.timeLimit(.minutes(3)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresQueryTests {
    func sql(_ arguments: [String], db: String, in dir: TempDirectory) throws -> CLI.Result {
        try CLI.run(["sql"] + arguments + ["--db", db], environment: TestPostgres.loginEnvironment, in: dir.url)
    }

    func lines(_ text: String) -> [Substring] { text.split(whereSeparator: \.isNewline) }

    @Test func queriesAnswerAsOnTheFileAndWritesAreRefused() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let file = try SourceArchive.copy(into: dir)
        try await TestPostgres.withDatabase { url in
            let copy = try CLI.run(["copy", "--from", file, "--to", url], environment: TestPostgres.loginEnvironment, in: dir.url)
            try #require(copy.status == 0, "\(copy.stderr)")

            // The same rows, in the same columns, from both stores.
            for query in [
                ["SELECT provider, count(*) AS calls, sum(duration_ms) AS ms FROM calls GROUP BY provider ORDER BY provider"],
                ["SELECT call_id, status FROM calls WHERE duration_ms > :d AND provider = :p ORDER BY call_id", "--param", "d=60000", "--param", "p=vapi"],
                ["SELECT call_id, turn_count, field_count FROM call_overview ORDER BY call_id LIMIT 7"],
                ["SELECT call_id FROM calls WHERE call_id = 'nothing-like-it'"],
            ] {
                for format in ["csv", "json"] {
                    let onFile = try sql(query + ["--format", format], db: file, in: dir)
                    let onServer = try sql(query + ["--format", format], db: url, in: dir)
                    #expect(onFile.status == 0 && onServer.status == 0, "\(onFile.stderr)\(onServer.stderr)")
                    #expect(onServer.stdout == onFile.stdout, "\(query[0]) as \(format)")
                }
            }
            let empty = try sql(["SELECT call_id, status FROM calls WHERE false", "--format", "csv"], db: url, in: dir)
            #expect(lines(empty.stdout) == ["call_id,status"], "a query with no row still names its columns")

            let calls = try TestPostgres.psql(url, "SELECT count(*) FROM calls")
            for write in ["DELETE FROM calls", "UPDATE calls SET status = 'x'", "WITH gone AS (DELETE FROM calls RETURNING 1) SELECT count(*) FROM gone",
                          "SELECT 1; DELETE FROM calls", "COMMIT"] {
                let refused = try sql([write], db: url, in: dir)
                #expect(refused.status == 2, "\(write): \(refused.stderr)")
            }
            #expect(try TestPostgres.psql(url, "SELECT count(*) FROM calls") == calls)

            let slow = try sql(["SELECT pg_sleep(5)", "--timeout", "0.3"], db: url, in: dir)
            #expect(slow.status == 5, "\(slow.stderr)")
            let missing = try sql(["SELECT :x::int AS x"], db: url, in: dir)
            #expect(missing.status == 2 && missing.stderr.contains("no --param x=value"), "\(missing.stderr)")
            let cast = try sql(["SELECT :since::timestamptz < now() AS past", "--param", "since=2026-01-01", "--format", "csv"], db: url, in: dir)
            #expect(lines(cast.stdout) == ["past", "true"], "\(cast.stderr)")
        }
    }
}
}
