@testable import ArchiveKit
import Foundation
import Testing
import VendorSimulator

/// The one retry executor: its rules on their own, and the drifts it fixed
/// between Get Call, List Calls pages and recordings, against the simulator.
@Suite(.timeLimit(.minutes(6)))
struct RetryTests {
    static func executor(maxAttempts: Int = 3, ceiling: Duration = .milliseconds(20)) -> RetryExecutor {
        RetryExecutor(policy: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2),
                                          retryAfterCeiling: ceiling),
                      logger: .init(label: "test"), events: RequestEvents(), redact: { $0 })
    }

    @Test func itRetriesUntilDoneAndCountsTheAttempts() async {
        let retry = Self.executor(maxAttempts: 5)
        var calls = 0
        let result: RetryResult<String, String> = await retry.run("x") {
            calls += 1
            return calls < 3 ? .retry(Refusal(message: "HTTP 503", status: 503)) : .done("ok")
        }
        guard case .done("ok", attempts: 3) = result else { Issue.record("\(result)"); return }
        #expect(calls == 3)
    }

    @Test func itStopsAtTheAttemptLimitWithTheLastRefusal() async {
        let retry = Self.executor(maxAttempts: 3)
        var calls = 0
        let result: RetryResult<String, String> = await retry.run("x") {
            calls += 1
            return .retry(Refusal(message: "HTTP 50\(calls)", status: 500 + calls))
        }
        guard case .exhausted(let last, attempts: 3) = result else { Issue.record("\(result)"); return }
        #expect(last.message == "HTTP 503" && last.status == 503)
        #expect(last.gaveUp(after: 3).message == "HTTP 503 (gave up after 3 attempts)")
    }

    @Test func aFailIsNotRetriedAndAThrownErrorIs() async {
        let retry = Self.executor(maxAttempts: 4)
        var calls = 0
        let failed: RetryResult<String, String> = await retry.run("x") {
            calls += 1
            return .fail("no")
        }
        guard case .failed("no", attempts: 1) = failed else { Issue.record("\(failed)"); return }

        struct Broken: Error {}
        let thrown: RetryResult<String, String> = await retry.run("x") { throw Broken() }
        guard case .exhausted(let last, attempts: 4) = thrown else { Issue.record("\(thrown)"); return }
        #expect(last.message.hasPrefix("network error: "))
    }

    /// Requests a rate limit refused together, each told `Retry-After: 1`, must
    /// not come back together: the wait is the value plus up to as long again
    /// (at most a second), never less, and never past the ceiling.
    @Test func aRetryAfterIsAFloorSpreadAtRandomWithinTheCeiling() {
        let policy = RetryPolicy(retryAfterCeiling: .seconds(60))
        let waits = (0..<200).map { _ in policy.delay(afterAttempt: 1, retryAfter: .seconds(1)) }
        #expect(waits.allSatisfy { !$0.capped && $0.delay >= .seconds(1) && $0.delay <= .seconds(2) })
        #expect(Set(waits.map(\.delay)).count > 150, "the waits are spread, not one value")
        #expect(waits.contains { $0.delay < .milliseconds(1500) } && waits.contains { $0.delay > .milliseconds(1500) })
        let long = (0..<50).map { _ in policy.delay(afterAttempt: 1, retryAfter: .seconds(30)).delay }
        #expect(long.allSatisfy { $0 >= .seconds(30) && $0 <= .seconds(31) }, "at most a second is added")
        let tight = RetryPolicy(retryAfterCeiling: .milliseconds(1200))
        #expect((0..<50).allSatisfy { _ in tight.delay(afterAttempt: 1, retryAfter: .seconds(1)).delay <= .milliseconds(1200) })
        #expect(policy.delay(afterAttempt: 1, retryAfter: .zero).delay == .zero)
        let capped = policy.delay(afterAttempt: 1, retryAfter: .seconds(3600))
        #expect(capped.delay == .seconds(60) && capped.capped)
    }

    @Test func aRetryAfterAboveTheCeilingIsCutAndCountedInSecondsOrAsADate() async {
        let retry = Self.executor(maxAttempts: 3)
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.timeZone = TimeZone(identifier: "GMT")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let later = date.string(from: Date().addingTimeInterval(3600))
        var answers = ["3600", later, "0"]
        let result: RetryResult<Int, Never> = await retry.run("x") {
            guard !answers.isEmpty else { return .done(1) }
            return .retry(Refusal(message: "HTTP 429", status: 429, retryAfter: answers.removeFirst()))
        }
        guard case .exhausted = result else { Issue.record("\(result)"); return }
        #expect(retry.events.snapshot.retryAfterCapped == 2, "3600 s and an HTTP date an hour away are capped; 0 s is not")
    }

    @Test func cancellationEndsTheRunWithoutAnotherAttempt() async {
        let retry = Self.executor(maxAttempts: 50, ceiling: .seconds(60))
        let task = Task { () -> (RetryResult<Int, Never>, Int) in
            var calls = 0
            let result: RetryResult<Int, Never> = await retry.run("x") {
                calls += 1
                return .retry(Refusal(message: "HTTP 429", status: 429, retryAfter: "30"))
            }
            return (result, calls)
        }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let (result, calls) = await task.value
        guard case .cancelled = result else { Issue.record("\(result)"); return }
        #expect(calls == 1)
    }

    // MARK: The drifts, against the simulator

    /// A page answered 429 with `Retry-After: 3600` waits the ceiling, and the
    /// summary says so (it was capped silently before).
    @Test func aListPageAnswered429WithALongRetryAfterIsCappedAndReported() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let script: [String: [Fault]] = ["list:puretalk:2": [.tooManyRequests(retryAfterSeconds: 3600)]]
        try await withSimulator(.init(faults: FaultPlan(scripted: script), maxLifetime: .seconds(330), listedCalls: 150)) { server in
            let run = try CLI.run(["ids", "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "--max-retry-after", "0.05"],
                                  environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.split(separator: "\n").count == 150)
            #expect(run.stderr.contains("1 Retry-After value(s) above --max-retry-after were capped"), "\(run.stderr)")
        }
    }

    /// The same for a recording, in the sync's summary.
    @Test func aRecordingAnswered429WithALongRetryAfterIsCappedAndReported() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let id = try #require(SimulatedVendor.puppeteer.sampleIDs(count: 12).first { CallFactory.hasRecording(.puppeteer, id: $0) })
        let script: [String: [Fault]] = ["recording:\(id)": [.tooManyRequests(retryAfterSeconds: 3600)]]
        try await withSimulator(.init(faults: FaultPlan(scripted: script), maxLifetime: .seconds(330))) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            var configuration = try simulatorSync(server, .puppeteer)
            configuration.retry.retryAfterCeiling = .milliseconds(50)
            configuration.recordings = try RecordingStore(directory: dir.path("recordings"))
            let report = try await runSync(store, configuration, ids: [id])
            #expect(report.outcome == .completed)
            #expect(report.counts.recordings == 1)
            #expect(report.retryAfterCapped == 1)
            #expect(server.recordingRequestCount(.puppeteer, id: id) == 2)
        }
    }

    /// A List Calls page that is not UTF-8 is refused and asked for again, as
    /// a Get Call body is; it was decoded with replacement characters before.
    @Test func aListPageThatIsNotUTF8IsRetriedNotDecodedWithReplacements() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let broken = Array(#"{"count": 1, "next": null, "previous": null, "results": [{"call_id": "bad-"#.utf8) + [0xFF, 0xFE]
            + Array(#"", "status": "ended"}]}"#.utf8)
        let script: [String: [Fault]] = ["list:puretalk:1": [.raw(status: 200, headers: ["Content-Type": "application/json"], body: broken)]]
        try await withSimulator(.init(faults: FaultPlan(scripted: script), maxLifetime: .seconds(330), listedCalls: 120)) { server in
            let store = try ArchiveStore.open(path: dir.path("archive.sqlite"))
            let client = VendorClient(provider: .puretalk, baseURL: try BaseURL(server.baseURL(for: .puretalk)), apiKey: "sim-key",
                                      timeout: .seconds(60), concurrency: 1)
            defer { Task { await client.shutdown() } }
            let listing = CallListing(store: store, client: client, query: ListingQuery(),
                                      policy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10)),
                                      logger: .init(label: "test"))
            var ids: [String] = []
            while let lines = await listing.next() {
                for case .id(let id, _) in lines { ids.append(id) }
            }
            #expect(await listing.failure == nil)
            #expect(ids == SimulatedVendor.puretalk.sampleIDs(count: 120))
            #expect(!ids.contains { $0.contains("\u{FFFD}") })
            let progress = await listing.progress
            #expect(progress.pages == 2)
            #expect(server.listRequestCount(.puretalk, page: "1") == 2, "the broken first page was asked for again")
            #expect(progress.requests == server.listRequests && server.listRequests == 3)
        }
    }

    /// A key echoed across byte 200 of an error body (the excerpt's cut) is
    /// redacted whole: not even its first four characters reach any output
    /// or the archive. Before, the body was cut first and redacted after.
    @Test func aKeyEchoedAcrossTheExcerptCutLeavesNoPrefixAnywhere() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let key = "QZXW" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let prefix = String(key.prefix(4))
        let ids = SimulatedVendor.puretalk.sampleIDs(count: 3)
        // The key starts at byte 190 of each body, so a 200-byte cut falls inside it.
        func echo(_ status: Int, _ type: String) -> Fault {
            .raw(status: status, headers: ["Content-Type": type], body: Array((String(repeating: "x", count: 190) + key + " was refused").utf8))
        }
        let script: [String: [Fault]] = [
            ids[0]: [echo(500, "text/html"), echo(503, "text/html")],   // retried, then given up: the excerpt is the error
            ids[1]: [echo(400, "application/json")],                     // not retried
            "list:puretalk:1": [echo(422, "application/json")],          // a List Calls page refused
        ]
        var outputs: [String] = []
        try await withSimulator(.init(apiKey: key, faults: FaultPlan(scripted: script), maxLifetime: .seconds(330), listedCalls: 10)) { server in
            let base = server.baseURL(for: .puretalk)
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let sync = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--max-attempts", "2", "-v"],
                                   environment: ["PURETALK_API_KEY": key], in: dir.url)
            #expect(sync.status == 1, "\(sync.stderr)")
            #expect(sync.stdout.contains("[redacted]"), "the echo was seen: \(sync.stdout)")
            let listing = try CLI.run(["ids", "--provider", "puretalk", "--base-url", base, "-v"],
                                      environment: ["PURETALK_API_KEY": key], in: dir.url)
            #expect(listing.status == 1, "\(listing.stderr)")
            #expect(listing.stderr.contains("HTTP 422 for a page of List Calls: " + String(repeating: "x", count: 190) + "[redacted]"),
                    "\(listing.stderr)")
            let failures = try CLI.run(["sql", "SELECT call_id, error FROM sync_failures ORDER BY call_id", "--format", "tsv"], in: dir.url)
            #expect(failures.stdout.contains("[redacted]"))
            outputs += [sync.stdout, sync.stderr, listing.stdout, listing.stderr, failures.stdout]
        }
        for output in outputs { #expect(!output.contains(prefix), "a prefix of the key was printed: \(output)") }
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.url.path) where file.contains(".sqlite") {
            let bytes = try Data(contentsOf: dir.url.appendingPathComponent(file))
            #expect(bytes.range(of: Data(prefix.utf8)) == nil, "a prefix of the key is in \(file)")
        }
    }
}
