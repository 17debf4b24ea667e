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
