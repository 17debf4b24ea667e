@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// The query commands, run as processes on an archive synced from the simulator.
@Suite(.timeLimit(.minutes(6)))
struct QueryCLITests {
    static let perVendor = 60

    /// Syncs `perVendor` calls of each vendor into `dir/archive.sqlite`; returns
    /// the PuppeteerAI bodies as the simulator sent them.
    @discardableResult
    func syncedArchive(_ dir: TempDirectory) async throws -> Set<String> {
        try await withSimulator { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            for vendor in SimulatedVendor.allCases {
                let report = try await runSync(store, try simulatorSync(server, vendor), ids: vendor.sampleIDs(count: Self.perVendor))
                #expect(report.counts.fetched == Self.perVendor)
            }
            return Set(SimulatedVendor.puppeteer.sampleIDs(count: Self.perVendor).compactMap { server.body(.puppeteer, id: $0) })
        }
    }

    func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: true) }

    func json(_ line: some StringProtocol) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func listSearchStatsAndExportAnswerFromTheArchive() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let bodies = try await syncedArchive(dir)
        let store = try ArchiveStore.openReadOnly(path: dir.path("archive.sqlite"))

        // list: every call once, newest first.
        let list = try CLI.run(["list", "--limit", "0", "--format", "ndjson"], in: dir.url)
        #expect(list.status == 0, "\(list.stderr)")
        let listed = try lines(list.stdout).map(json)
        #expect(listed.count == SimulatedVendor.allCases.count * Self.perVendor)
        #expect(Set(listed.map { "\($0["provider"]!)/\($0["call_id"]!)" }).count == listed.count)
        let starts = listed.compactMap { $0["started_at"] as? String }
        #expect(starts == starts.sorted(by: >))
        #expect(Array(listed[0].keys).sorted() == ["call_id", "direction", "duration_s", "provider", "sentiment", "started_at", "status", "summary"])
        let puretalk = try CLI.run(["list", "--provider", "puretalk", "--limit", "5", "--format", "csv"], in: dir.url)
        #expect(puretalk.stdout.hasPrefix("started_at,provider,call_id,direction,duration_s,status,sentiment,summary\r\n"))
        #expect(puretalk.stdout.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.allSatisfy { $0.contains(",puretalk,pt-call-") })

        // search: the matching calls are exactly those whose text holds the word.
        let search = try CLI.run(["search", "refund", "--limit", "0", "--format", "ndjson"], in: dir.url)
        #expect(search.status == 0, "\(search.stderr)")
        let hits = try lines(search.stdout).map(json)
        let expectedTurns = try await store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM transcript_turns WHERE lower(content) LIKE '%refund%'")!
        }
        let expectedSummaries = try await store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM call_analysis WHERE lower(summary) LIKE '%refund%'")!
        }
        #expect(hits.filter { $0["role"] as? String != "analysis" }.count == expectedTurns)
        #expect(hits.filter { $0["role"] as? String == "analysis" }.count == expectedSummaries)
        #expect(hits.allSatisfy { ($0["snippet"] as? String)?.lowercased().contains("[refund") == true })
        let scores = hits.compactMap { $0["score"] as? Double }
        #expect(scores.count == hits.count && scores == scores.sorted(by: >))
        let japanese = try CLI.run(["search", "日本語*", "--format", "tsv", "--limit", "1"], in: dir.url)
        #expect(japanese.stdout.contains("[日本語でも大丈夫ですか]"), "\(japanese.stdout)")
        let bad = try CLI.run(["search", "refund AND"], in: dir.url)
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("archive: the search \"refund AND\" is not valid FTS5 query syntax"))
        #expect(!bad.stderr.contains("Fatal") && !bad.stderr.contains("SQLite error"))

        // stats: percentiles equal nearest-rank over the stored values.
        let stats = try CLI.run(["stats", "--by", "provider", "--format", "ndjson"], in: dir.url)
        #expect(stats.status == 0, "\(stats.stderr)")
        let groups = try lines(stats.stdout).map(json)
        #expect(groups.map { $0["group"] as? String } == ["puppeteer", "puretalk", "retell", "vapi"])
        let pt = groups[1]
        #expect(pt["calls"] as? Int == Self.perVendor)
        for metric in ["latency", "eou_delay", "llm_latency", "tts_latency"] {  // turn_latencies' columns
            let values = try await store.read { db in
                try Double.fetchAll(db, sql: "SELECT \(metric) FROM turn_latencies WHERE provider = 'puretalk' AND \(metric) IS NOT NULL")
            }.sorted()
            let figures = try #require((pt["latency"] as? [String: Any])?[metric] as? [String: Any])
            #expect(figures["count"] as? Int == values.count)
            for p in [50, 90, 99] {
                let rank = Int((Double(p * values.count) / 100).rounded(.up))
                #expect(figures["p\(p)"] as? Double == values[rank - 1], "\(metric) p\(p)")
            }
        }
        // Retell's call-level series: exact percentiles over every sample, none from turns.
        let rt = groups[2]
        for metric in ["latency", "llm_latency", "llm_websocket_network_rtt"] {
            let values = try await store.read { db in
                try Double.fetchAll(db, sql: "SELECT seconds FROM call_latency_samples WHERE provider = 'retell' AND metric = ?", arguments: [metric])
            }.sorted()
            let figures = try #require((rt["latency"] as? [String: Any])?[metric] as? [String: Any], "\(metric)")
            #expect(values.count > 100)
            #expect(figures["count"] as? Int == values.count && figures["from_calls"] as? Int == values.count && figures["from_turns"] as? Int == 0)
            #expect(figures["p90"] as? Double == values[Int((0.9 * Double(values.count)).rounded(.up)) - 1], "\(metric) p90")
        }
        let ptFigures = try #require((pt["latency"] as? [String: Any])?["latency"] as? [String: Any])
        #expect(ptFigures["from_calls"] as? Int == 0 && ptFigures["from_turns"] as? Int == ptFigures["count"] as? Int)
        let durations = try await store.read { db in
            try Double.fetchAll(db, sql: "SELECT duration_ms / 1000.0 FROM calls WHERE provider = 'puppeteer' AND duration_ms IS NOT NULL")
        }.sorted()
        let ppDuration = try #require(groups[0]["duration_s"] as? [String: Any])
        #expect(ppDuration["p90"] as? Double == durations[Int((0.9 * Double(durations.count)).rounded(.up)) - 1])
        let statsCSV = try CLI.run(["stats", "--format", "csv"], in: dir.url)
        #expect(statsCSV.stdout.contains("\r\nall,calls,\(SimulatedVendor.allCases.count * Self.perVendor)\r\n"))

        // export: one normalized call per line, equal to `show --json`.
        let export = try CLI.run(["export"], in: dir.url)
        #expect(export.status == 0)
        let exported = try lines(export.stdout).map(json)
        #expect(exported.count == SimulatedVendor.allCases.count * Self.perVendor)
        let sample = try #require(exported.first { $0["call_id"] as? String == "pt-call-000007" })
        let shown = try CLI.run(["show", "pt-call-000007", "--json"], in: dir.url)
        #expect(NSDictionary(dictionary: sample) == NSDictionary(dictionary: try json(shown.stdout)))

        // Call-level latency (Retell, Vapi): in show --json and export, per metric, in the vendor's order.
        for id in ["rt-call-000007", "vc-call-000007"] {
            let exportedCall = try #require(exported.first { $0["call_id"] as? String == id })
            let shownCall = try json(try CLI.run(["show", id, "--json"], in: dir.url).stdout)
            #expect(NSDictionary(dictionary: exportedCall) == NSDictionary(dictionary: shownCall))
            let samples = try #require(shownCall["latency_samples"] as? [String: [Double]])
            let stored = try await store.read { db in
                try Double.fetchAll(db, sql: "SELECT seconds FROM call_latency_samples WHERE call_id = ? AND metric = 'latency' ORDER BY position",
                                    arguments: [id])
            }
            #expect(!stored.isEmpty && samples["latency"] == stored)
            let text = try CLI.run(["show", id], in: dir.url).stdout
            #expect(text.contains("Latency, call-level samples (s)\n") && text.contains("\n  latency                   n \(stored.count)  p50 "))
        }
        #expect((sample["latency_samples"] as? [String: Any])?.isEmpty == true, "PureTalk's latency is per turn")

        // export --raw: the bodies exactly as the vendor sent them.
        let raw = try CLI.run(["export", "--raw", "--provider", "puppeteer"], in: dir.url)
        #expect(Set(lines(raw.stdout).map(String.init)) == bodies)

        // export --table: a view as RFC 4180 CSV, filtered through its calls.
        let table = try CLI.run(["export", "--table", "turn_latency_detail", "--since", "2000-01-01", "--provider", "puretalk"], in: dir.url)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("provider,call_id,turn_index,assistant_id,assistant_name,call_started_at,role,interrupted,latency,eou_delay,llm_latency,tts_latency,content,previous_content\r\n"))
        let latencyRows = try await store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM turn_latencies WHERE provider = 'puretalk'")! }
        #expect(table.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == latencyRows + 1)
        let unknown = try CLI.run(["export", "--table", "calls; DROP TABLE calls"], in: dir.url)
        #expect(unknown.status == 2 && unknown.stderr.contains("there is no table or view"))

        // sql: parameters, streaming formats.
        let sql = try CLI.run(["sql", "SELECT count(*) AS n FROM calls WHERE provider = :p", "--param", "p=puretalk", "--format", "csv"], in: dir.url)
        #expect(sql.stdout == "n\r\n\(Self.perVendor)\r\n")
        let hostile = try CLI.run(["sql", "SELECT count(*) AS n FROM calls WHERE call_id = :id", "--param", "id=x' OR '1'='1", "--format", "csv"], in: dir.url)
        #expect(hostile.stdout == "n\r\n0\r\n")
        let typed = try CLI.run(["sql", "SELECT :n + 1 AS v, typeof(:n) AS n, typeof(:r) AS r, typeof(:phone) AS phone, typeof(:zero) AS zero",
                                 "--param", "n=41", "--param", "r=-2.5", "--param", "phone=+15551234567", "--param", "zero=007",
                                 "--format", "csv"], in: dir.url)
        #expect(typed.stdout == "v,n,r,phone,zero\r\n42,integer,real,text,text\r\n", "\(typed.stderr)")
        let slow = try CLI.run(["sql", "SELECT count(*) AS n FROM call_overview WHERE max_turn_latency > :s", "--param", "s=0", "--format", "csv"], in: dir.url)
        let withLatency = try await store.read { try Int.fetchOne($0, sql: "SELECT count(DISTINCT provider || call_id) FROM turn_latencies WHERE latency > 0")! }
        #expect(slow.stdout == "n\r\n\(withLatency)\r\n", "a number compares as a number with a view's computed column")
        let missing = try CLI.run(["sql", "SELECT :a, :b", "--param", "a=1"], in: dir.url)
        #expect(missing.status == 2 && missing.stderr.contains("uses :b"))

        // Empty results are empty, in every format.
        let none = try CLI.run(["list", "--status", "no-such-status", "--format", "json"], in: dir.url)
        #expect(none.status == 0 && none.stdout == "[]\n")
        let noHits = try CLI.run(["search", "zzzzqqq", "--format", "csv"], in: dir.url)
        #expect(noHits.stdout == "provider,call_id,started_at,role,turn_index,snippet,score\r\n")
    }

    @Test func sqlCannotChangeTheArchive() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await syncedArchive(dir)
        let files = ["archive.sqlite", "archive.sqlite-wal"].map(dir.path)
        // A reader of a WAL database may create an empty -wal file: empty and absent are the same content.
        func snapshot() throws -> [Data] { files.map { (try? Data(contentsOf: URL(fileURLWithPath: $0))) ?? Data() } }
        let before = try snapshot()
        #expect(before[0].count > 100_000)
        let attacks = [
            "DELETE FROM calls",
            "UPDATE calls SET status = 'x'",
            "DROP TABLE calls",
            "CREATE TABLE t (x)",
            "INSERT INTO transcript_turns_fts (transcript_turns_fts) VALUES ('delete-all')",
            "ATTACH DATABASE '\(dir.path("attached.sqlite"))' AS other",
            "ATTACH ':memory:' AS m",
            "VACUUM INTO '\(dir.path("copy.sqlite"))'",
            "VACUUM",
            "PRAGMA writable_schema = 1",
            "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = ''",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA user_version = 7",
            "WITH doomed AS (SELECT call_id FROM calls) DELETE FROM calls WHERE call_id IN doomed",
            "WITH d AS (DELETE FROM calls RETURNING call_id) SELECT * FROM d",
            "SELECT 1; DELETE FROM calls",
            "REINDEX",
            "ANALYZE",
        ]
        for attack in attacks {
            let result = try CLI.run(["sql", attack], in: dir.url)
            #expect(result.status == 2, "\(attack): \(result.stderr)")
            #expect(result.stderr.hasPrefix("archive: "), "\(attack)")
            #expect(result.stdout.isEmpty, "\(attack)")
        }
        #expect(try snapshot() == before, "the archive's bytes are unchanged")
        #expect(!FileManager.default.fileExists(atPath: dir.path("attached.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("copy.sqlite")))

        // Reading still works, including reporting pragmas and pragma functions.
        let ok = try CLI.run(["sql", "SELECT name FROM pragma_table_info('calls') WHERE name = 'call_id'", "--format", "csv"], in: dir.url)
        #expect(ok.stdout == "name\r\ncall_id\r\n")
        let check = try CLI.run(["sql", "PRAGMA integrity_check", "--format", "csv"], in: dir.url)
        #expect(check.stdout == "integrity_check\r\nok\r\n")

        // A runaway query is interrupted at --timeout (exit 5), not left running.
        let started = ContinuousClock.now
        let runaway = try CLI.run(["sql", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
                                   "--timeout", "0.5"], in: dir.url)
        #expect(runaway.status == 5, "\(runaway.stderr)")
        #expect(runaway.stderr.contains("interrupted after 0.5 s"))
        #expect(ContinuousClock.now - started < .seconds(60), "bounded, whatever the machine's speed")
        #expect(try snapshot() == before)
    }

    @Test func anArchiveFromSchema0001IsMigratedForwardAndIndexed() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("old.sqlite")
        let queue = try DatabaseQueue(path: path)
        try ArchiveStore.migrator.migrate(queue, upTo: "0001_initial")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO calls (provider, call_id, status, started_at, is_final, raw_json, fetched_at)
                VALUES ('puretalk', 'old-1', 'completed', '2025-01-01T00:00:00.000000Z', 1, '{}', '2025-01-02T00:00:00.000000Z'),
                       ('puppeteer', 'old-1', 'ended', '2025-01-03T00:00:00.000000Z', 1, '{}', '2025-01-04T00:00:00.000000Z');
                INSERT INTO transcript_turns (provider, call_id, turn_index, role, content)
                VALUES ('puretalk', 'old-1', 0, 'user', 'Where is my parcel?'), ('puretalk', 'old-1', 1, 'agent', 'On its way.');
                INSERT INTO turn_latencies (provider, call_id, turn_index, llm_latency) VALUES ('puretalk', 'old-1', 1, 0.9);
                INSERT INTO call_analysis (provider, call_id, summary) VALUES ('puppeteer', 'old-1', 'Parcel delayed');
                INSERT INTO post_analysis_fields (provider, call_id, position, name, value) VALUES ('puppeteer', 'old-1', 0, 'k', 'v');
                """)
        }
        try queue.close()

        // `archive sql` never writes, not even to migrate: it sees the old schema as it is.
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let old = try CLI.run(["sql", "SELECT group_concat(identifier) AS applied FROM grdb_migrations", "--db", path, "--format", "csv"], in: dir.url)
        #expect(old.stdout == "applied\r\n0001_initial\r\n", "\(old.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        // Any other query command migrates it forward first.
        let search = try CLI.run(["search", "parcel", "--db", path, "--format", "csv"], in: dir.url)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("puretalk,old-1,2025-01-01T00:00:00.000000Z,user,0,Where is my [parcel]?,"))
        #expect(search.stdout.contains("puppeteer,old-1,2025-01-03T00:00:00.000000Z,analysis,,[Parcel] delayed,"))
        let store = try ArchiveStore.openReadOnly(path: path)
        try store.read { db in
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY 1") == ArchiveStore.knownMigrations)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            let linked = try Row.fetchAll(db, sql: """
                SELECT c.provider, t.turn_index, l.llm_latency FROM turn_latencies l
                JOIN transcript_turns t ON t.id = l.turn_ref JOIN calls c ON c.id = t.call_ref
                """)
            #expect(linked.count == 1)
            #expect(linked.first?["provider"] == "puretalk")
            #expect(linked.first?["llm_latency"] == 0.9)
            #expect(try Int.fetchOne(db, sql: "SELECT field_count FROM call_overview WHERE provider = 'puppeteer'") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT turn_count FROM call_overview WHERE provider = 'puretalk'") == 2)
        }
    }
}
