@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

@Suite(.timeLimit(.minutes(6)))
struct CLITests {
    @Test func syncThenShowWithDocumentedExitCodes() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator { server in
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 10)
            let list = try dir.write("ids.txt", (["# my calls", ""] + ids + ["missing-1", "bad\u{7}line"]).joined(separator: "\n"))
            let key = ["PURETALK_API_KEY": "sim-key"]
            let base = server.baseURL(for: .puretalk)

            let sync = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--quiet"], environment: key, in: dir.url)
            #expect(sync.status == 1, "one ID is missing and one line is invalid: \(sync.stderr)")
            #expect(sync.stdout.contains("fetched   10"))
            #expect(sync.stdout.contains("missing-1: not found (HTTP 404)"))
            #expect(sync.stdout.contains("line 14: contains control characters"))
            let mode = try FileManager.default.attributesOfItem(atPath: dir.path("archive.sqlite"))[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let raw = try CLI.run(["show", ids[0], "--raw"], in: dir.url)
            #expect(raw.status == 0)
            #expect(raw.stdoutBytes == Data(try #require(server.body(.puretalk, id: ids[0])).utf8))

            let json = try CLI.run(["show", ids[0], "--json"], in: dir.url)
            let document = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
            #expect(document["call_id"] as? String == ids[0])
            #expect(document["provider"] as? String == "puretalk")
            #expect(document["raw_json"] == nil)
            #expect((document["turns"] as? [Any])?.isEmpty == false)

            let text = try CLI.run(["show", ids[0]], in: dir.url)
            #expect(text.status == 0)
            #expect(text.stdout.hasPrefix("PureTalk call \(ids[0])"))
            #expect(text.stdout.contains("Transcript ("))

            let unknown = try CLI.run(["show", "nope"], in: dir.url)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("no call \"nope\""))

            let again = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--quiet"], environment: key, in: dir.url)
            #expect(again.stdout.contains("skipped"))

            let ok = try CLI.run(["sync", "-", "--provider", "puretalk", "--base-url", base, "--db", "other.sqlite"],
                                 environment: key, in: dir.url)
            #expect(ok.status == 0, "an empty list on stdin archives nothing and fails nothing")
        }
    }

    @Test func logsGoToStderrAndStdoutCarriesOnlyTheSummary() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(faults: FaultPlan(scripted: ["flaky": [.serverError]]), maxLifetime: .seconds(330))) { server in
            let list = try dir.write("ids.txt", "flaky\n")
            let result = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "-v"],
                                     environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(result.status == 0)
            #expect(result.stderr.contains("attempt 1 failed (HTTP 500"))
            #expect(!result.stdout.contains("attempt"))
            #expect(result.stdout.hasPrefix("PureTalk sync completed in"))
        }
    }

    @Test(arguments: [
        (["sync", "ids.txt", "--provider", "puretalk"], [String: String](), "PURETALK_API_KEY"),
        (["sync", "ids.txt", "--provider", "puretalk", "--base-url", "http://api.example.com"], ["PURETALK_API_KEY": "k"], "plain http://"),
        (["sync", "nothere.txt", "--provider", "puretalk", "--base-url", "http://127.0.0.1:9"], ["PURETALK_API_KEY": "k"], "no such file"),
        (["sync", ".", "--provider", "puretalk", "--base-url", "http://127.0.0.1:9"], ["PURETALK_API_KEY": "k"], "is a directory"),
        (["sync", "ids.txt", "--provider", "bland"], [:], "provider"),
        (["sync", "ids.txt", "--provider", "puretalk", "--concurrency", "0"], [:], "--concurrency"),
        (["show", "x", "--json", "--raw"], [:], "cannot be used together"),
    ])
    func usageAndInputErrorsExit2WithAMessage(arguments: [String], environment: [String: String], expected: String) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try dir.write("ids.txt", "a\n")
        let result = try CLI.run(arguments, environment: environment, in: dir.url)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func databaseProblemsExit4() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try dir.write("ids.txt", "a\n")
        _ = try dir.write("junk.sqlite", String(repeating: "junk", count: 1000))
        let junk = try CLI.run(["sync", "ids.txt", "--provider", "puretalk", "--db", "junk.sqlite", "--base-url", "http://127.0.0.1:9"],
                               environment: ["PURETALK_API_KEY": "k"], in: dir.url)
        #expect(junk.status == 4)
        #expect(junk.stderr.contains("not an SQLite archive"))
        let missing = try CLI.run(["show", "x", "--db", "none.sqlite"], in: dir.url)
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("no archive at none.sqlite"))
    }
}

@Suite(.timeLimit(.minutes(6)))
struct InterruptTests {
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalCommitsWhatWasFetchedPrintsTheSummaryAndTheNextRunResumes(signal: Int32, expected: Int32) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(latency: .milliseconds(40), maxLifetime: .seconds(330))) { server in
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 2000)
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let out = Pipe()
            let process = try CLI.spawn(["sync", list, "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "--concurrency", "4"],
                                        environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url, stdout: out)
            // Wait until some calls are committed, then interrupt: on a thread of its own
            // (`pollUntil`), since a starved cooperative pool once let the whole sync finish first.
            let db = dir.path("archive.sqlite")
            let pid = process.processIdentifier
            let archived = await pollUntil(timeout: .seconds(10), interval: .milliseconds(50)) {
                ((try? DatabaseQueue(path: db, configuration: readOnly()).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") ?? 0 }) ?? 0) >= 20
            } then: { kill(pid, signal) }
            #expect(archived)
            let summary = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == expected)
            #expect(summary.contains("sync interrupted"))
            #expect(summary.contains("run the same command again to resume"))

            let store = try ArchiveStore.open(path: db)
            let (stored, outcome) = try await store.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM calls") ?? 0,
                 try String.fetchOne(db, sql: "SELECT outcome FROM sync_runs") ?? "")
            }
            #expect(outcome == "interrupted")
            #expect(stored < ids.count)
            #expect(try expectArchiveIsSound(db, .puretalk, from: server) == stored)
            // Finished calls are not fetched again by the next run.
            let finals = try await store.read { try String.fetchAll($0, sql: "SELECT call_id FROM calls WHERE is_final = 1") }
            let before = finals.map { server.requestCount(.puretalk, id: $0) }
            _ = try await runSync(store, try simulatorSync(server, .puretalk, concurrency: 32), ids: ids)
            #expect(finals.map { server.requestCount(.puretalk, id: $0) } == before)
            let total = try await store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM calls") }
            #expect(total == ids.count)
        }
    }

    func readOnly() -> Configuration {
        var config = Configuration()
        config.readonly = true
        return config
    }
}
