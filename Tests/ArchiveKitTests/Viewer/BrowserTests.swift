@testable import ArchiveKit
import Foundation
import Testing
import VendorSimulator

/// The viewer in a real browser, as a reviewer uses it: headless Chromium
/// from Debian (`bash .ci/run` installs it). It opens the list, a call, plays
/// the audio from a clicked turn, searches and opens the stats; the pages ask
/// nothing of any other host and log no console error. Screenshots of each
/// page go to `.build/browser-screenshots/`.
@Suite(.serialized, .timeLimit(.minutes(8)),
       .enabled(if: WebDriver.available || ProcessInfo.processInfo.environment["CI"] != nil, "needs chromium and chromium-driver (Debian); .ci/run installs them"))
struct BrowserTests {
    static let screenshots: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent(".build/browser-screenshots").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    @Test func aReviewerListensToACallFromATurnSearchesAndReadsTheStats() async throws {
        let (dir, db) = try ViewerTests.demoArchive()
        defer { dir.cleanup() }
        let viewer = try ViewerProcess(["--db", db], in: dir.url)
        defer { viewer.stop() }
        let browser = try await WebDriver()
        defer { browser.stop() }
        let base = viewer.baseURL

        // The call list.
        try await browser.open(base + "/")
        #expect(try await browser.run("return document.title") as? String == "Calls · archive")
        #expect(try await browser.run("return document.querySelectorAll('tbody tr').length") as? Int == 24)
        try await browser.screenshot(to: Self.screenshots + "/1-calls.png")

        // A Retell call: its words carry times, so a click on a turn seeks the recording there.
        let id = SimulatedVendor.retell.sampleIDs(count: 1)[0]
        try await browser.open(base + "/calls/retell/" + id)
        #expect(try await browser.run("return document.querySelectorAll('dl.facts span.local').length") as? Int == 2, "local times beside UTC")
        try await waitFor("the recording's metadata") { try await browser.run("return document.querySelector('audio').readyState") as? Int ?? 0 >= 1 }
        let duration = try #require(try await browser.run("return document.querySelector('audio').duration") as? Double)
        let target = try #require(try await browser.run("""
            var duration = arguments[0];
            var turns = Array.prototype.slice.call(document.querySelectorAll('.turn[data-start]')).filter(function (t) {
              var start = parseFloat(t.getAttribute('data-start'));
              return start > 1 && start < duration - 1;
            });
            return turns.length ? [turns[0].id, parseFloat(turns[0].getAttribute('data-start'))] : null;
            """, [duration]) as? [Any], "a timed turn inside the recording (\(duration) s)")
        let turnID = try #require(target[0] as? String), start = try #require(target[1] as? Double)
        #expect(try await browser.run("return document.querySelector('audio').currentTime") as? Double == 0)
        // Playback is held for the click, so the highlight must come from the seek itself: a playing
        // recording can leave a short turn before a loaded machine's next poll (CI saw that once).
        _ = try await browser.run("""
            var audio = document.querySelector('audio');
            audio.play = function () { audio.dataset.playAsked = 'yes'; return Promise.resolve(); };
            """)
        try await browser.click("#" + turnID)
        try await waitFor("the player to seek to the clicked turn") {
            let now = try await browser.run("return document.querySelector('audio').currentTime") as? Double ?? 0
            return now >= start - 0.05 && now < start + 0.05
        }
        try await waitFor("the clicked turn to be highlighted") {
            try await browser.run("return document.getElementById(arguments[0]).classList.contains('playing')", [turnID]) as? Bool == true
        }
        #expect(try await browser.run("return document.querySelector('audio').dataset.playAsked") as? String == "yes",
                "the click asked the player to play")
        // And it plays from there.
        _ = try await browser.run("var audio = document.querySelector('audio'); delete audio.play; audio.play();")
        try await waitFor("the recording to play on from the clicked turn") {
            try await browser.run("return document.querySelector('audio').currentTime") as? Double ?? 0 > start + 0.2
        }
        #expect(try await browser.run("return document.querySelectorAll('svg.strip circle').length") as? Int ?? 0 > 0, "call-level samples")
        try await browser.screenshot(to: Self.screenshots + "/2-call.png")

        // A PureTalk call: per-turn latency bars on one scale.
        try await browser.open(base + "/calls/puretalk/" + SimulatedVendor.puretalk.sampleIDs(count: 1)[0])
        #expect(try await browser.run("return document.querySelectorAll('svg.turn-latency').length") as? Int ?? 0 > 0)
        _ = try await browser.run("document.querySelector('h2 + .legend, .turns').scrollIntoView()")
        try await browser.screenshot(to: Self.screenshots + "/3-latency.png")

        // Search, with the matches highlighted.
        try await browser.open(base + "/search?q=refund")
        #expect(try await browser.run("return document.querySelectorAll('mark').length") as? Int ?? 0 > 0)
        try await browser.screenshot(to: Self.screenshots + "/4-search.png")

        // Stats, with the charts.
        try await browser.open(base + "/stats")
        #expect(try await browser.run("return document.querySelectorAll('.chart svg').length") as? Int ?? 0 >= 3)
        try await browser.screenshot(to: Self.screenshots + "/5-stats.png")

        let errors = try await browser.log("browser").filter { ($0["level"] as? String) == "SEVERE" }
        #expect(errors.isEmpty, "console errors: \(errors)")
        let urls = try await browser.requestedURLs()
        #expect(urls.contains { $0.hasPrefix(base + "/recordings/") }, "the player fetched the recording")
        let foreign = urls.filter { !$0.hasPrefix(base + "/") && !$0.hasPrefix("data:") }
        #expect(foreign.isEmpty, "requests to other hosts: \(foreign)")
    }

    /// Polls `condition` for up to 150 s. The whole suite loads two cores: this test took 76 s there, 9 s alone,
    /// and with the PostgreSQL suites beside it the player once needed more than 60 s to reach a turn.
    func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(150)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)")
    }
}
