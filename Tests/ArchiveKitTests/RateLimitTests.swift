@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// The governor's rules, replayed answer by answer (no clock involved except
/// where a test passes its own instants), and a sync against a vendor that
/// enforces a rate limit.
@Suite(.timeLimit(.minutes(1)))
struct RateLimitTests {
    /// Admits `count` requests and finishes them all with `signal`; returns the window afterwards.
    private func roundTrip(_ governor: RequestGovernor, _ count: Int, _ signal: RequestGovernor.Signal,
                           at now: ContinuousClock.Instant = .now) async throws -> Int {
        var tickets: [RequestGovernor.Ticket] = []
        for _ in 0..<count { tickets.append(try await governor.admit()) }
        for ticket in tickets { governor.finish(ticket, signal, now: now) }
        return governor.permits
    }

    @Test func theWindowDoublesPerRoundTripUpToTheConcurrency() async throws {
        let governor = RequestGovernor(ceiling: 20)
        #expect(governor.permits == 4)
        #expect(try await roundTrip(governor, 4, .served) == 8)
        #expect(try await roundTrip(governor, 8, .served) == 16)
        #expect(try await roundTrip(governor, 16, .served) == 20, "capped at --concurrency")
        #expect(governor.pace == nil, "no pacing without 429s")
    }

    @Test func a429CutsTheWindowByAQuarterOncePerRoundTrip() async throws {
        let governor = RequestGovernor(ceiling: 64)
        _ = try await roundTrip(governor, 4, .served)
        _ = try await roundTrip(governor, 8, .served)
        // 16 in flight, all answered 429: one cut, not sixteen.
        #expect(try await roundTrip(governor, 16, .throttled) == 12)
        #expect(governor.throttledCount == 16)
        // A request sent after the cut is news: cut again.
        #expect(try await roundTrip(governor, 1, .throttled) == 9)
        // Past slow start, a round trip of successes adds a quarter request.
        _ = try await roundTrip(governor, 9, .served)
        #expect(governor.permits == 9)
        for _ in 0..<4 { _ = try await roundTrip(governor, 9, .served) }
        #expect(governor.permits == 10)
        // Errors say nothing about the limit.
        #expect(try await roundTrip(governor, 10, .neutral) == 10)
    }

    @Test func atOneInFlightA429StartsPacingFromTheRateServed() async throws {
        let governor = RequestGovernor(ceiling: 1)
        let start = ContinuousClock.now
        for i in 0..<11 {  // one served every 10 ms: 100 per second
            _ = try await roundTrip(governor, 1, .served, at: start + .milliseconds(10 * i))
        }
        _ = try await roundTrip(governor, 1, .throttled, at: start + .milliseconds(110))
        let pace = try #require(governor.pace)
        #expect(abs(pace - 80) < 0.01, "four fifths of 100/s, was \(pace)")
        // Another 429 within a quarter second does not cut again; one later does.
        _ = try await roundTrip(governor, 1, .throttled, at: start + .milliseconds(200))
        #expect(governor.pace == pace)
        _ = try await roundTrip(governor, 1, .throttled, at: start + .milliseconds(400))
        let cut = try #require(governor.pace)
        #expect(abs(cut - pace * 0.8) < 0.01)
        // Starts are then spaced 1/64 s apart.
        let t0 = ContinuousClock.now + .seconds(5)
        let first = try #require(governor.scheduleStart(now: t0))
        let second = try #require(governor.scheduleStart(now: t0))
        #expect(second - first == .nanoseconds(Int64((1e9 / cut).rounded(.up))))
    }

    @Test func maxRateSpacesEveryStartEvenly() {
        let governor = RequestGovernor(ceiling: 32, maxRate: 4)
        let t0 = ContinuousClock.now
        let starts = (0..<4).compactMap { _ in governor.scheduleStart(now: t0) }
        #expect(starts == [t0, t0 + .milliseconds(250), t0 + .milliseconds(500), t0 + .milliseconds(750)])
        // Time that passed unused is not banked as a burst.
        let later = t0 + .seconds(10)
        #expect(governor.scheduleStart(now: later) == later)
        #expect(governor.scheduleStart(now: later) == later + .milliseconds(250))
    }

    @Test func aSyncAgainstARateLimitedVendorArchivesEveryCallOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(rateLimit: 50, maxLifetime: .seconds(60))) { server in
            let store = try ArchiveStore.open(path: dir.path("a.sqlite"))
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 150)
            var configuration = try simulatorSync(server, .puretalk, concurrency: 16, maxAttempts: 20)
            configuration.unavailableAfter = 1_000
            let report = try await runSync(store, configuration, ids: ids)
            #expect(report.outcome == .completed)
            #expect(report.counts.fetched == 150)
            #expect(server.rateLimited > 0, "the limit was reached, so the governor had something to do")
            #expect(report.throttled == server.rateLimited)
            #expect(report.counts.requests == server.totalRequests)
            #expect(report.counts.requests == 150 + server.rateLimited)
            let calls = try await store.writer.read { try Int.fetchOne($0, sql: "SELECT count(DISTINCT call_id) FROM calls") }
            #expect(calls == 150)
        }
    }

    @Test func maxRateHoldsTheSyncToThatPace() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(maxLifetime: .seconds(60))) { server in
            let list = try dir.write("ids.txt", SimulatedVendor.puretalk.sampleIDs(count: 21).joined(separator: "\n"))
            let started = ContinuousClock.now
            let result = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk),
                                      "--concurrency", "16", "--max-rate", "20", "--quiet"],
                                     environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(server.totalRequests == 21)
            // 21 starts spaced 1/20 s apart cannot take less than one second, however fast the machine.
            #expect(ContinuousClock.now - started >= .seconds(1))

            let refused = try CLI.run(["sync", list, "--provider", "puretalk", "--max-rate", "0"],
                                      environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(refused.status == 64 || refused.status == 2)
            #expect(refused.stderr.contains("--max-rate must be"), "\(refused.stderr)")
        }
    }
}
