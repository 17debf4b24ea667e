import Foundation
import GRDB
import Testing

/// `archive sql` on a PostgreSQL archive, beside the same query on the SQLite
/// file it was copied from: the same rows, parameters and refusals, and its
/// own limits (a READ ONLY transaction, statement_timeout).
extension PostgresSuites {
@Suite(.timeLimit(.minutes(6)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresQueryTests {
    func sql(_ arguments: [String], db: String, in dir: TempDirectory) throws -> CLI.Result {
        try CLI.run(["sql"] + arguments + ["--db", db], environment: TestPostgres.loginEnvironment, in: dir.url)
    }

    func lines(_ text: String) -> [Substring] { text.split(whereSeparator: \.isNewline) }

    @Test func queriesAnswerAsOnTheFileAndWritesAreRefused() async throws {
        try await SourceArchive.withCopyInPostgres { dir, file, url in

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

    /// `list`, `stats`, `export` and `search` on the server print what they print
    /// on the file it was copied from: byte for byte, except a table's rows (in no
    /// stated order, so compared as sets) and search's ranking, where the same
    /// matches come back with PostgreSQL's own scores (README: "PostgreSQL").
    @Test func everyQueryCommandAnswersAsOnTheFile() async throws {
        try await SourceArchive.withCopyInPostgres { dir, file, url in
            func both(_ arguments: [String]) throws -> (file: CLI.Result, server: CLI.Result) {
                let onFile = try CLI.run(arguments + ["--db", file], environment: TestPostgres.loginEnvironment, in: dir.url)
                let onServer = try CLI.run(arguments + ["--db", url], environment: TestPostgres.loginEnvironment, in: dir.url)
                #expect(onFile.status == onServer.status, "\(arguments): \(onFile.stderr) \(onServer.stderr)")
                return (onFile, onServer)
            }
            for command in [
                ["list", "--limit", "0", "--format", "json"],
                ["list", "--failed-task", "--format", "csv"],
                ["list", "--provider", "vapi", "--min-duration", "30", "--status", "ENDED", "--format", "tsv"],
                ["list", "--since", "2025-09-01", "--until", "2025-10-01", "--direction", "inbound", "--format", "tsv"],
                ["stats", "--format", "json"],
                ["stats", "--by", "day", "--format", "csv"],
                ["stats", "--by", "assistant"],
                ["stats", "--by", "provider", "--failed-task", "--format", "ndjson"],
                ["export"],
                ["export", "--raw", "--provider", "retell"],
                ["export", "--table", "latency_samples", "--format", "json"],
                ["export", "--table", "no_such_table"],
            ] {
                let (onFile, onServer) = try both(command)
                #expect(!onFile.stdout.isEmpty || !onFile.stderr.isEmpty, "\(command) printed something")
                #expect(onServer.stdout == onFile.stdout, "\(command)")
                #expect(onServer.stderr == onFile.stderr, "\(command)")
            }
            for table in ["calls", "transcript_turns", "turn_latencies", "call_analysis", "post_analysis_fields", "recordings", "call_overview"] {
                let (onFile, onServer) = try both(["export", "--table", table])
                #expect(onFile.status == 0 && lines(onFile.stdout).count > 1, "\(table): \(onFile.stderr)")
                #expect(lines(onServer.stdout).first == lines(onFile.stdout).first, "\(table): the same columns")
                #expect(lines(onServer.stdout).sorted() == lines(onFile.stdout).sorted(), "\(table): the same rows")
            }
            // The same matches for every form of the FTS5 subset the README documents.
            for query in ["refund", "refunds", "refun*", "\"3 to 5\"", "refund OR cancel", "refund NOT order", "order AND refund",
                          "NEAR(refund order, 5)", "(refund OR cancel) AND business"] {
                let (onFile, onServer) = try both(["search", query, "--limit", "0", "--format", "tsv"])
                func matches(_ output: String) -> [String] {
                    lines(output).map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
                        .map { [$0[0], $0[1], $0[3], $0[4]].joined(separator: " ") }.sorted()
                }
                #expect(onFile.status == 0 && lines(onFile.stdout).count > 1, "\(query): \(onFile.stderr)")
                #expect(matches(onServer.stdout) == matches(onFile.stdout), "\(query)")
            }
            let top = try CLI.run(["search", "refund", "--limit", "3", "--format", "tsv", "--db", url],
                                  environment: TestPostgres.loginEnvironment, in: dir.url)
            #expect(lines(top.stdout).count == 4 && lines(top.stdout).dropFirst().allSatisfy { $0.contains("[refund]") || $0.contains("[Refund]") },
                    "snippets mark the match: \(top.stdout)")
            let bad = try CLI.run(["search", "refund AND", "--db", url], environment: TestPostgres.loginEnvironment, in: dir.url)
            #expect(bad.status == 2 && bad.stderr.contains("not valid FTS5 query syntax"), "\(bad.stderr)")
        }
    }
}
}
