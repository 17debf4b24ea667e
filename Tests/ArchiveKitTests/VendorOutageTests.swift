import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// A vendor that misbehaves for a long time must cost bounded time, as a user
/// sees it through the command line.
@Suite(.timeLimit(.minutes(6)))
struct VendorOutageTests {
    @Test func aVendorThatAlwaysFailsStopsTheSyncInBoundedTimeWithExit6() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let down = FaultPlan(rate: 1, kinds: [.unavailable, .serverError], maxPerID: 1_000)
        try await withSimulator(.init(faults: down, maxLifetime: .seconds(330))) { server in
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 500)
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let result = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk),
                                      "--concurrency", "4", "--max-attempts", "2", "--quiet"],
                                     environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(result.status == 6, "\(result.stderr)")
            #expect(result.stderr.contains("PureTalk failed 10 calls in a row after every retry"), "\(result.stderr)")
            #expect(result.stderr.contains("HTTP 50"), "the last error is named: \(result.stderr)")
            #expect(result.stderr.contains("run the same command again"))
            #expect(result.stdout.contains("not done"))
            // It stopped early: far fewer requests than 500 IDs × 2 attempts.
            #expect(server.totalRequests <= (10 + 4) * 2, "\(server.totalRequests) requests")
            let db = try DatabaseQueue(path: dir.path("archive.sqlite"))
            let (outcome, calls, failures) = try await db.read { db in
                (try String.fetchOne(db, sql: "SELECT outcome FROM sync_runs"),
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM calls") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_failures") ?? -1)
            }
            #expect(outcome == "vendor_unavailable")
            #expect(calls == 0)
            #expect(failures >= 10)
        }
    }

    /// A wrong `--base-url` port, or a vendor host that is down: each attempt
    /// fails at once and says so, instead of waiting out `--timeout` (60 s
    /// here: the suite's limit would end the test first) while the HTTP
    /// client connects again and again.
    @Test func aHostThatRefusesConnectionsIsNamedAndStopsTheSyncWithExit6() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let port = try freeLoopbackPort()
        let list = try dir.write("ids.txt", SimulatedVendor.puretalk.sampleIDs(count: 50).joined(separator: "\n"))
        let result = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", "http://127.0.0.1:\(port)/puretalk/api",
                                  "--concurrency", "4", "--max-attempts", "2", "--timeout", "60", "--quiet"],
                                 environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stderr.contains("the connection was refused: nothing listens at the vendor's address (is --base-url right? is the vendor up?)"), "\(result.stderr)")
        #expect(result.stderr.contains("run the same command again"))
        let db = try DatabaseQueue(path: dir.path("archive.sqlite"))
        let (failures, attempts) = try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_failures") ?? -1,
             try Int.fetchAll(db, sql: "SELECT DISTINCT attempts FROM sync_failures"))
        }
        #expect(failures >= 10, "the run stopped after ten calls failed in a row")
        #expect(attempts == [2], "each call was tried --max-attempts times")
    }

    @Test func aRetryAfterAboveTheCeilingIsCappedAndReported() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = SimulatedVendor.puppeteer.sampleIDs(count: 20)
        let slowDown = FaultPlan(scripted: Dictionary(uniqueKeysWithValues: ids.prefix(3).map { ($0, [Fault.tooManyRequests(retryAfterSeconds: 3600)]) }))
        try await withSimulator(.init(faults: slowDown, maxLifetime: .seconds(330))) { server in
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let result = try CLI.run(["sync", list, "--provider", "puppeteer", "--base-url", server.baseURL(for: .puppeteer),
                                      "--max-retry-after", "0.2", "--quiet"],
                                     environment: ["PUPPETEER_API_KEY": "sim-key"], in: dir.url)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("fetched   20"))
            #expect(result.stdout.contains("3 Retry-After value(s) above --max-retry-after were capped"), "\(result.stdout)")
            for id in ids.prefix(3) {
                #expect(server.requestCount(.puppeteer, id: id) == 2)
                #expect(result.stderr.contains(id), "the cap is logged for \(id)")
            }
        }
    }
}
