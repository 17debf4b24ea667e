@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// The governor's rules, replayed answer by answer on the value type (no
/// clock involved except where a test passes its own instants, no waiting),
/// and a sync against a vendor that enforces a rate limit.
@Suite(.timeLimit(.minutes(6)))
struct RateLimitTests {
    /// Sends `count` requests and finishes them all with `signal`; returns the window afterwards.
    private func roundTrip(_ rules: inout GovernorRules, _ count: Int, _ signal: GovernorRules.Signal,
                           at now: ContinuousClock.Instant = .now) -> Int {
        let sent = (0..<count).map { _ in rules.issue() }
        for sequence in sent { rules.finish(sequence: sequence, signal, now: now) }
        return rules.permits
    }

    @Test func theWindowDoublesPerRoundTripUpToTheConcurrency() {
        var rules = GovernorRules(ceiling: 20)
        #expect(rules.permits == 4)
        #expect(roundTrip(&rules, 4, .served) == 8)
        #expect(roundTrip(&rules, 8, .served) == 16)
        #expect(roundTrip(&rules, 16, .served) == 20, "capped at --concurrency")
        #expect(rules.pace == nil, "no pacing without 429s")
    }

    @Test func a429CutsTheWindowByAQuarterOncePerRoundTrip() {
        var rules = GovernorRules(ceiling: 64)
        _ = roundTrip(&rules, 4, .served)
        _ = roundTrip(&rules, 8, .served)
        // 16 in flight, all answered 429: one cut, not sixteen.
        #expect(roundTrip(&rules, 16, .throttled) == 12)
        #expect(rules.throttled == 16)
        // A request sent after the cut is news: cut again.
        #expect(roundTrip(&rules, 1, .throttled) == 9)
        // Past slow start, a round trip of successes adds a quarter request.
        _ = roundTrip(&rules, 9, .served)
        #expect(rules.permits == 9)
        for _ in 0..<4 { _ = roundTrip(&rules, 9, .served) }
        #expect(rules.permits == 10)
        // Errors say nothing about the limit.
        #expect(roundTrip(&rules, 10, .neutral) == 10)
    }

    /// A wrong key closes the window at its first answer, before that
    /// answer's ticket could let a waiting request out.
    @Test func a401ClosesTheWindowForGood() {
        var rules = GovernorRules(ceiling: 8)
        let sent = (0..<4).map { _ in rules.issue() }
        rules.finish(sequence: sent[0], .rejected, now: .now)
        #expect(rules.closed && !rules.hasRoom && rules.inFlight == 3)
        for sequence in sent.dropFirst() { rules.finish(sequence: sequence, .served, now: .now) }
        #expect(!rules.hasRoom, "successes after it do not reopen it")
    }

    @Test func atOneInFlightA429StartsPacingFromTheRateServed() throws {
        var rules = GovernorRules(ceiling: 1)
        let start = ContinuousClock.now
        for i in 0..<11 {  // one served every 10 ms: 100 per second
            _ = roundTrip(&rules, 1, .served, at: start + .milliseconds(10 * i))
        }
        _ = roundTrip(&rules, 1, .throttled, at: start + .milliseconds(110))
        let pace = try #require(rules.pace)
        #expect(abs(pace - 80) < 0.01, "four fifths of 100/s, was \(pace)")
        // Another 429 within a quarter second does not cut again; one later does.
        _ = roundTrip(&rules, 1, .throttled, at: start + .milliseconds(200))
        #expect(rules.pace == pace)
        _ = roundTrip(&rules, 1, .throttled, at: start + .milliseconds(400))
        let cut = try #require(rules.pace)
        #expect(abs(cut - pace * 0.8) < 0.01)
        // Starts are then spaced 1/64 s apart.
        let t0 = ContinuousClock.now + .seconds(5)
        let first = rules.scheduleStart(now: t0)
        let second = rules.scheduleStart(now: t0)
        let spacing = try #require(second.flatMap { second in first.map { second - $0 } })
        #expect(spacing == .nanoseconds(Int64((1e9 / cut).rounded(.up))))
    }

    @Test func maxRateSpacesEveryStartEvenly() {
        var governor = GovernorRules(ceiling: 32, maxRate: 4)
        let t0 = ContinuousClock.now
        let starts = (0..<4).compactMap { _ in governor.scheduleStart(now: t0) }
        #expect(starts == [t0, t0 + .milliseconds(250), t0 + .milliseconds(500), t0 + .milliseconds(750)])
        // Time that passed unused is not banked as a burst.
        let later = t0 + .seconds(10)
        let next = governor.scheduleStart(now: later), afterIt = governor.scheduleStart(now: later)
        #expect(next == later)
        #expect(afterIt == later + .milliseconds(250))
    }

    /// The vendor allows 5 requests a second with no burst (a bucket of one token), so
    /// any two requests within 200 ms meet a 429 however slowly a loaded machine sends
    /// them: at 50 a second a clean-clone CI run once sent too slowly to meet one.
    @Test func aSyncAgainstARateLimitedVendorArchivesEveryCallOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(rateLimit: 5, maxLifetime: .seconds(330))) { server in
            let store = try ArchiveStore.open(path: dir.path("a.sqlite"))
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 40)
            var configuration = try simulatorSync(server, .puretalk, concurrency: 16, maxAttempts: 20)
            configuration.unavailableAfter = 1_000
            let report = try await runSync(store, configuration, ids: ids)
            #expect(report.outcome == .completed)
            #expect(report.counts.fetched == 40)
            #expect(server.rateLimited > 0, "the limit was reached, so the governor had something to do")
            #expect(report.throttled == server.rateLimited)
            #expect(report.counts.requests == server.totalRequests)
            #expect(report.counts.requests == 40 + server.rateLimited)
            let calls = try await store.read { try Int.fetchOne($0, sql: "SELECT count(DISTINCT call_id) FROM calls") }
            #expect(calls == 40)
        }
    }

    @Test func maxRateHoldsTheSyncToThatPace() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(maxLifetime: .seconds(330))) { server in
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
            #expect(refused.status == 2, "a usage error exits 2, not the parser's 64")
            #expect(refused.stderr.contains("--max-rate must be"), "\(refused.stderr)")
        }
    }
}
