@testable import ArchiveKit
import Crypto
import Foundation
import GRDB
import Testing
import VendorSimulator

/// `archive sync --db postgres://…`, run as processes against the simulator
/// with faults: several syncs into one PostgreSQL archive at once, and a sync
/// killed with `kill -9`. What PostgreSQL holds is read back through
/// `archive copy` into a file and compared with what the simulator sends and
/// with a sync of the same lists straight into SQLite.
extension PostgresSuites {
@Suite(.timeLimit(.minutes(8)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresSyncTests {
    static let perVendor = 30

    func sync(_ list: String, _ vendor: SimulatedVendor, into db: String, from server: SimulatorServer, in dir: TempDirectory,
              concurrency: Int = 4, extra: [String] = []) throws -> Process {
        try CLI.spawn(["sync", list, "--provider", vendor.rawValue, "--base-url", server.baseURL(for: vendor), "--db", db,
                       "--concurrency", "\(concurrency)", "-q"] + extra,
                      environment: TestPostgres.loginEnvironment.merging([vendor.provider.apiKeyVariable: "sim-key"]) { $1 }, in: dir.url)
    }

    func finish(_ processes: [Process]) async -> [Int32] {
        let done = await pollUntil(timeout: .seconds(200), { processes.allSatisfy { !$0.isRunning } })
        if !done { processes.forEach { $0.terminate() } }
        return processes.map { $0.isRunning ? -1 : $0.terminationStatus }
    }

    /// Per table, how many rows, and per call its raw body.
    func summary(_ path: String) throws -> (counts: [String: Int], bodies: [String: String]) {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var counts: [String: Int] = [:]
            for table in ArchiveTable.callTables { counts[table.name] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") }
            let rows = try Row.fetchAll(db, sql: "SELECT provider || ' ' || call_id, raw_json FROM calls")
            return (counts, Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as String) }))
        }
    }

    func turnCounts(_ path: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT c.call_id, count(t.id) FROM calls c LEFT JOIN transcript_turns t ON t.call_ref = c.id GROUP BY c.call_id")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as Int) })
        }
    }

    /// Vendor after vendor, three syncs at once, each with two thirds of the
    /// list: every ID is in two of them, a third of them in all three.
    @Test func threeSyncsAtOnceWithOverlappingListsArchiveEveryCallOnceExactlyAsSent() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let config = SimulatorConfiguration(latency: .milliseconds(5), faults: FaultPlan(rate: 0.2), maxLifetime: .seconds(460))
        try await TestPostgres.withDatabase { url in
            try await withSimulator(config) { server in
                var expected: [String: String] = [:]
                for vendor in SimulatedVendor.allCases {
                    let ids = vendor.sampleIDs(count: Self.perVendor)
                    for id in ids { expected[vendor.rawValue + " " + id] = server.body(vendor, id: id) }
                    let third = Self.perVendor / 3
                    let lists = try (0..<3).map { k in
                        try dir.write("\(vendor)-\(k).txt", (ids[(k * third)...] + ids[..<(k * third)]).prefix(2 * third).joined(separator: "\n"))
                    }
                    let processes = try lists.map { try sync($0, vendor, into: url, from: server, in: dir) }
                    #expect(await finish(processes) == [0, 0, 0], "\(vendor)")
                }

                let copied = dir.path("from-postgres.sqlite")
                let copy = try CLI.run(["copy", "--from", url, "--to", copied], environment: TestPostgres.loginEnvironment, in: dir.url)
                #expect(copy.status == 0, "\(copy.stderr)")
                let fromPostgres = try summary(copied)
                #expect(fromPostgres.bodies == expected, "every call once, byte for byte as the simulator sends it")

                // The same lists straight into SQLite give the same rows.
                let direct = dir.path("direct.sqlite")
                for vendor in SimulatedVendor.allCases {
                    let list = try dir.write("\(vendor)-all.txt", vendor.sampleIDs(count: Self.perVendor).joined(separator: "\n"))
                    #expect(await finish([try sync(list, vendor, into: direct, from: server, in: dir)]) == [0])
                }
                #expect(fromPostgres.counts == (try summary(direct).counts))
                let runs = try TestPostgres.psql(url, "SELECT count(*), bool_and(outcome = 'completed'), bool_and(fetched + skipped = ids_read) FROM sync_runs")
                #expect(runs == "12|t|t", "each run recorded, its counts adding up")
            }
        }
    }

    @Test func aSyncKilledWithKill9LeavesWholeCallsAndTheNextRunFinishes() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        // 300 calls at 200 ms and concurrency 4 take 15 s at the least: the kill lands mid-run however loaded the machine is.
        let config = SimulatorConfiguration(latency: .milliseconds(200), maxLifetime: .seconds(460))
        try await TestPostgres.withDatabase { url in
            try await withSimulator(config) { server in
                let vendor = SimulatedVendor.vapi
                let ids = vendor.sampleIDs(count: 300)
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let victim = try sync(list, vendor, into: url, from: server, in: dir)
                let started = await pollUntil(timeout: .seconds(60), {
                    ((try? TestPostgres.psql(url, "SELECT count(*) FROM calls")).flatMap(Int.init) ?? 0) >= 20
                })
                #expect(started)
                kill(victim.processIdentifier, SIGKILL)
                _ = await finish([victim])
                let partial = try TestPostgres.psql(url, "SELECT count(*) FROM calls")
                #expect((Int(partial) ?? 0) < ids.count, "killed before the end (\(partial) calls)")
                // Every call there is whole: as many turns as a clean sync of it gives.
                let direct = dir.path("direct.sqlite")
                #expect(await finish([try sync(list, vendor, into: direct, from: server, in: dir, concurrency: 32)]) == [0])
                let turns = try TestPostgres.psql(url, "SELECT string_agg(call_id || '=' || n, ',' ORDER BY call_id) FROM (SELECT c.call_id, count(t.id) AS n FROM calls c LEFT JOIN transcript_turns t ON t.call_ref = c.id GROUP BY c.call_id) x")
                let cleanTurns = try turnCounts(direct)
                for pair in turns.split(separator: ",") {
                    let parts = pair.split(separator: "=")
                    #expect(cleanTurns[String(parts[0])] == Int(parts[1]), "call \(parts[0]) is whole")
                }
                #expect(await finish([try sync(list, vendor, into: url, from: server, in: dir, concurrency: 32)]) == [0])
                #expect(try TestPostgres.psql(url, "SELECT count(*) FROM calls") == "\(ids.count)")
                #expect(try TestPostgres.psql(url, "SELECT outcome FROM sync_runs ORDER BY run_id") == "running\ncompleted",
                        "the killed run stays 'running'; the next one completed")
            }
        }
    }

    /// The server ends every session of the archive three times mid-sync (as
    /// a restart or an administrator's `pg_terminate_backend` does): the writes
    /// and reads that lose their connection run again on a new one, and the
    /// sync finishes with every call, once.
    @Test func connectionsLostMidSyncAreRetriedAndEveryCallArrives() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        // 600 calls at 100 ms and concurrency 8 take 7.5 s at the least: every end lands mid-run.
        let config = SimulatorConfiguration(latency: .milliseconds(100), maxLifetime: .seconds(460))
        try await TestPostgres.withDatabase { url in
            try await withSimulator(config) { server in
                let vendor = SimulatedVendor.vapi
                let ids = vendor.sampleIDs(count: 600)
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let syncing = try sync(list, vendor, into: url, from: server, in: dir, concurrency: 8)
                let terminate = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                var ended: [Int] = []
                for threshold in [30, 200, 400] {
                    let reached = await pollUntil(timeout: .seconds(120), {
                        ((try? TestPostgres.psql(url, "SELECT count(*) FROM calls")).flatMap(Int.init) ?? 0) >= threshold
                    })
                    #expect(reached, "\(threshold) calls")
                    ended.append(Int(try TestPostgres.psql(url, terminate)) ?? 0)
                }
                #expect(ended.reduce(0, +) >= 3, "sessions were ended: \(ended)")
                #expect(await finish([syncing]) == [0])
                #expect(try TestPostgres.psql(url, "SELECT count(*), count(DISTINCT call_id) FROM calls") == "600|600")
                #expect(try TestPostgres.psql(url, "SELECT outcome || ' ' || fetched FROM sync_runs") == "completed 600")
            }
        }
    }

    /// PostgreSQL's text cannot hold NUL: a transcript with one is refused,
    /// recorded in `sync_failures` with the body as sent, and the rest of its batch arrives.
    @Test func aCallPostgreSQLCannotHoldIsAFailureWithItsBodyAndTheRestArrive() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = SimulatedVendor.puretalk.sampleIDs(count: 20)
        let clean = try #require(CallFactory.body(.puretalk, id: ids[7]))
        let withNUL = clean.replacingOccurrences(of: "\"content\": \"", with: "\"content\": \"\\u0000")
        #expect(withNUL != clean)
        let config = SimulatorConfiguration(faults: FaultPlan(scripted: [ids[7]: [.raw(status: 200, headers: ["Content-Type": "application/json"], body: Array(withNUL.utf8))]]),
                                            maxLifetime: .seconds(330))
        try await TestPostgres.withDatabase { url in
            try await withSimulator(config) { server in
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                #expect(await finish([try sync(list, .puretalk, into: url, from: server, in: dir, extra: ["--max-attempts", "1"])]) == [1])
                #expect(try TestPostgres.psql(url, "SELECT count(*) FROM calls") == "19")
                #expect(try TestPostgres.psql(url, "SELECT call_id || ' ' || http_status || ' ' || (response_body = \(sqlLiteral(withNUL))) FROM sync_failures") == "\(ids[7]) 200 true")
            }
        }
    }

    func sqlLiteral(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Recordings of a PostgreSQL archive live in a directory it names: none given is a usage error before any request.
    @Test func recordingsNeedADirectory() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let url = try #require(TestPostgres.baseURL)
        let list = try dir.write("ids.txt", "vapi-call-000001\n")
        let env = TestPostgres.loginEnvironment.merging(["VAPI_API_KEY": "sim-key"]) { $1 }
        let recordings = try CLI.run(["sync", list, "--provider", "vapi", "--base-url", "http://127.0.0.1:1/vapi", "--db", url, "--recordings"],
                                     environment: env, in: dir.url)
        #expect(recordings.status == 2 && recordings.stderr.contains("--recordings-dir"), "\(recordings.stderr)")
    }

    @Test func recordingsGoToTheDirectoryAndTheirRowsToPostgreSQL() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await TestPostgres.withDatabase { url in
            try await withSimulator { server in
                let list = try dir.write("ids.txt", SimulatedVendor.vapi.sampleIDs(count: 10).joined(separator: "\n"))
                let recordings = dir.path("recordings")
                #expect(await finish([try sync(list, .vapi, into: url, from: server, in: dir, extra: ["--recordings", "--recordings-dir", recordings])]) == [0])
                let rows = try TestPostgres.psql(url, "SELECT file || ' ' || sha256 FROM recordings WHERE variant = 'mono' ORDER BY call_id")
                let files = rows.split(separator: "\n").map { $0.split(separator: " ") }
                #expect(files.count == 10)
                for file in files {
                    let data = try Data(contentsOf: URL(fileURLWithPath: recordings + "/" + file[0]))
                    #expect(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == String(file[1]))
                }
                let shown = try CLI.run(["show", "vc-call-000001", "--db", url, "--recordings-dir", recordings],
                                        environment: TestPostgres.loginEnvironment, in: dir.url)
                #expect(shown.stdout.contains("recording   archived: \(recordings)/"), "\(shown.stdout)")
            }
        }
    }
}
}
