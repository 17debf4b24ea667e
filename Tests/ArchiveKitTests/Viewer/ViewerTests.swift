@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator
import NIOHTTP1
@testable import ArchiveViewer

/// `archive serve` over real HTTP on loopback, on an archive the demo synced
/// from the simulator (every vendor, with recordings), compared with what
/// the CLI prints for the same question.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct ViewerTests {
    /// A demo archive (6 calls per vendor, recordings included) in a fresh directory.
    static func demoArchive() throws -> (TempDirectory, String) {
        let dir = try TempDirectory()
        let demo = try CLI.run(["demo", "--count", "6", "--db", "demo.sqlite"], in: dir.url)
        try #require(demo.status == 0, "\(demo.stderr)")
        return (dir, dir.path("demo.sqlite"))
    }

    func withViewer(_ extra: [String] = [], _ body: (ViewerProcess, TempDirectory, String) async throws -> Void) async throws {
        let (dir, db) = try Self.demoArchive()
        defer { dir.cleanup() }
        let viewer = try ViewerProcess(["--db", db] + extra, in: dir.url)
        do {
            try await body(viewer, dir, db)
            viewer.stop()
        } catch {
            viewer.stop()
            throw error
        }
    }

    static func cli(_ arguments: [String], _ dir: TempDirectory, _ db: String) throws -> String {
        let result = try CLI.run(arguments + ["--db", db], in: dir.url)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result.stdout
    }

    @Test func everyPageAnswersForEveryVendorWithTheCLIsData() async throws {
        try await withViewer { viewer, dir, db in
            #expect(viewer.startLine.contains("read-only at http://127.0.0.1:"))
            let list = try await viewer.request("/")
            #expect(list.status == 200)
            #expect(list.header("content-type") == "text/html; charset=utf-8")
            let store = try ArchiveStore.openReadOnly(path: db)
            for vendor in SimulatedVendor.allCases {
                let id = vendor.sampleIDs(count: 1)[0]
                #expect(list.text.contains("href=\"/calls/\(vendor.rawValue)/\(id)\""), "\(vendor) in the list")

                let page = try await viewer.request("/calls/\(vendor.rawValue)/\(id)")
                #expect(page.status == 200, "\(vendor)")
                let stored = try #require(try store.storedCall(provider: vendor.provider, id: id))
                let firstTurn = try #require(stored.call.turns.first { !($0.content ?? "").isEmpty }?.content)
                #expect(page.text.contains(HTML(text: firstTurn).markup), "\(vendor): the transcript")
                let recording = try #require(stored.recording, "\(vendor) has a recording in the demo")
                #expect(page.text.contains("src=\"/recordings/\(recording.sha256)\""), "\(vendor): the player")
                // Turn timing: Retell and PuppeteerAI give word times, Vapi secondsFromStart, PureTalk none.
                #expect(page.text.contains("data-start=") == (vendor != .puretalk), "\(vendor): seekable turns")
                #expect(page.text.contains("class=\"turn-latency\"") == stored.call.turns.contains { $0.latency != nil }, "\(vendor): latency bars")
                #expect(page.text.contains("class=\"strip\"") == !stored.call.latencySamples.isEmpty, "\(vendor): call-level samples")

                // JSON: byte for byte what `archive show --json` prints.
                let json = try await viewer.request("/api/calls/\(vendor.rawValue)/\(id)")
                #expect(json.text == (try Self.cli(["show", id, "--provider", vendor.rawValue, "--json"], dir, db)), "\(vendor): show --json")
                // The raw body, byte for byte.
                let raw = try await viewer.request("/calls/\(vendor.rawValue)/\(id)/raw")
                #expect(raw.body == Array(stored.rawJSON.utf8))
                #expect(raw.header("content-disposition") == "attachment; filename=\"\(vendor.rawValue)-\(id).json\"")
            }
            for path in ["/search", "/search?q=refund", "/stats", "/stats?by=assistant&provider=retell", "/assets/viewer.css", "/assets/viewer.js"] {
                let answer = try await viewer.request(path)
                #expect(answer.status == 200, "\(path)")
                #expect(answer.header("content-security-policy")?.hasPrefix("default-src 'none'; script-src 'self'") == true, "\(path)")
            }
            let stats = try await viewer.request("/stats")
            #expect(stats.text.contains("latency per day"))
            #expect(stats.text.contains("Calls per day by status"))
            #expect(stats.text.contains("Task completion per assistant"))
            #expect(stats.text.contains("<svg"))
        }
    }

    @Test func filtersPageByKeysetAndMatchTheCLI() async throws {
        try await withViewer(["--page-size", "4"]) { viewer, dir, db in
            // The API's first page is `archive list`'s first rows, same keys and values.
            let everything = try Self.cli(["list", "--limit", "0", "--format", "ndjson"], dir, db).split(separator: "\n").map(String.init)
            #expect(everything.count == 24)
            var seen: [String] = []
            var next: String? = "/api/calls"
            var pages = 0
            var last: ViewerProcess.Answer?
            while let path = next, pages < 20 {
                let page = try await viewer.request(path)
                #expect(page.status == 200)
                let rows = try #require(try JSONSerialization.jsonObject(with: Data(page.body)) as? [[String: Any]])
                #expect(rows.count <= 4)
                seen += rows.map { "\($0["provider"]!)/\($0["call_id"]!)" }
                next = Self.link(page.header("link"), "next")
                last = page
                pages += 1
            }
            let expected = try everything.map { line -> String in
                let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return "\(row["provider"]!)/\(row["call_id"]!)"
            }
            #expect(seen == expected, "following next links walks the whole list in order, once")
            #expect(pages == 6)
            // And back again from the last page.
            var back: [String] = []
            var previous = Self.link(last?.header("link"), "prev")
            while let path = previous {
                let page = try await viewer.request(path)
                let rows = try #require(try JSONSerialization.jsonObject(with: Data(page.body)) as? [[String: Any]])
                back = rows.map { "\($0["provider"]!)/\($0["call_id"]!)" } + back
                previous = Self.link(page.header("link"), "prev")
            }
            #expect(back + seen.suffix(seen.count - back.count) == expected)
            #expect(back.count == 20)

            // A filter: the same rows as the CLI with the same options.
            let retell = try await viewer.request("/api/calls?provider=retell&status=ended&status=completed")
            let cli = try Self.cli(["list", "--provider", "retell", "--status", "ended", "--status", "completed", "--limit", "4", "--format", "json"], dir, db)
            #expect(retell.text == cli)
            // The HTML list carries the filter into its links.
            let html = try await viewer.request("/?provider=vapi&min-duration=1")
            #expect(html.status == 200)
            #expect(!html.text.contains("href=\"/calls/retell/"))
            #expect(html.text.contains("?provider=vapi&amp;min-duration=1\""))
            #expect(html.text.contains("<option value=\"vapi\" selected>"))
            // Bad values are explained in the page, with status 400.
            let bad = try await viewer.request("/?since=yesterday")
            #expect(bad.status == 400)
            #expect(bad.text.contains("--since &quot;yesterday&quot; is not a date"))
            let damaged = try await viewer.request("/api/calls?after=not-a-cursor")
            #expect(damaged.status == 400)
            #expect(damaged.text.contains("damaged"))
        }
    }

    @Test func searchAndStatsMeanWhatTheCommandsMean() async throws {
        try await withViewer { viewer, dir, db in
            let api = try await viewer.request("/api/search?q=refund")
            #expect(api.status == 200)
            #expect(api.text == (try Self.cli(["search", "refund", "--limit", "50", "--format", "json"], dir, db)))
            let page = try await viewer.request("/search?q=refund")
            #expect(page.text.contains("<mark>"))
            #expect(!page.text.contains("\u{E000}"))
            // Invalid syntax is a message in the search page, not an error page.
            let invalid = try await viewer.request("/search?q=%22unbalanced")
            #expect(invalid.status == 200)
            #expect(invalid.text.contains("is not valid FTS5 query syntax"))
            #expect(invalid.text.contains("name=\"q\" value=\"&quot;unbalanced\""))
            // Literal: the same text as one phrase finds nothing, and is no error.
            let literal = try await viewer.request("/search?q=%22unbalanced&literal=1")
            #expect(literal.text.contains("No matches."))

            let stats = try await viewer.request("/api/stats?by=provider")
            #expect(stats.text == (try Self.cli(["stats", "--by", "provider", "--format", "json"], dir, db)))
            let filtered = try await viewer.request("/api/stats?by=day&provider=vapi&failed-task=1")
            #expect(filtered.text == (try Self.cli(["stats", "--by", "day", "--provider", "vapi", "--failed-task", "--format", "json"], dir, db)))
        }
    }

    @Test func recordingsAreServedByHashWithRangesAndNothingElse() async throws {
        try await withViewer { viewer, dir, db in
            let store = try ArchiveStore.openReadOnly(path: db)
            let row = try #require(try store.recording(callID: SimulatedVendor.puretalk.sampleIDs(count: 1)[0]).first)
            let file = RecordingStore.defaultDirectory(forDatabase: db) + "/" + row.file
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))

            let whole = try await viewer.request("/recordings/\(row.sha256)")
            #expect(whole.status == 200)
            #expect(whole.body == bytes)
            #expect(whole.header("content-type") == row.contentType)
            #expect(whole.header("accept-ranges") == "bytes")

            let part = try await viewer.request("/recordings/\(row.sha256)", headers: [("Range", "bytes=100-199")])
            #expect(part.status == 206)
            #expect(part.body == Array(bytes[100...199]))
            #expect(part.header("content-range") == "bytes 100-199/\(bytes.count)")
            let tail = try await viewer.request("/recordings/\(row.sha256)", headers: [("Range", "bytes=-10")])
            #expect(tail.status == 206)
            #expect(tail.body == Array(bytes.suffix(10)))
            let past = try await viewer.request("/recordings/\(row.sha256)", headers: [("Range", "bytes=\(bytes.count)-")])
            #expect(past.status == 416)
            #expect(past.header("content-range") == "bytes */\(bytes.count)")
            let head = try await viewer.request("/recordings/\(row.sha256)", method: .HEAD)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)

            for path in ["/recordings/" + String(repeating: "0", count: 64), "/recordings/..%2f..%2fetc%2fpasswd", "/recordings/%2e%2e/%2e%2e/etc/passwd",
                         "/recordings/../demo.sqlite", "/recordings//etc/passwd", "/recordings/" + row.file, "/demo.sqlite"] {
                let answer = try await viewer.request(path)
                #expect(answer.status == 404, "\(path)")
                #expect(!answer.text.contains("SQLite format"), "\(path)")
            }
            // A file swapped for a symlink is not followed.
            try FileManager.default.removeItem(atPath: file)
            try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: db)
            let link = try await viewer.request("/recordings/\(row.sha256)")
            #expect(link.status == 404)
            #expect(!link.text.contains("SQLite format"))
        }
    }

    @Test func readOnlyBoundedAndClearAboutWhatIsMissing() async throws {
        try await withViewer { viewer, _, _ in
            for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH] {
                let answer = try await viewer.request("/", method: method)
                #expect(answer.status == 405, "\(method)")
                #expect(answer.header("allow") == "GET, HEAD")
            }
            let unknown = try await viewer.request("/calls/puretalk/no-such-call")
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("No PureTalk call &quot;no-such-call&quot; is archived"))
            #expect(unknown.header("content-security-policy") != nil)
            #expect(try await viewer.request("/calls/nobody/x").status == 404)
            #expect(try await viewer.request("/api/calls/puretalk/no-such-call").text.contains("\"error\""))
            #expect(try await viewer.request("/nowhere").status == 404)
            let long = try await viewer.request("/?status=" + String(repeating: "a", count: 9000))
            #expect(long.status == 414 || long.status == 431)
        }
    }

    /// The viewer reads while a sync writes into the same file: every answer
    /// is whole, and each sees at least what the sync had committed before it.
    @Test func answersWhileASyncWritesAndSeesWhatItCommits() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator(.init(latency: .milliseconds(20), maxLifetime: .seconds(330))) { server in
            let ids = SimulatedVendor.puretalk.sampleIDs(count: 400)
            let db = dir.path("live.sqlite")
            let env = ["PURETALK_API_KEY": "sim-key"]
            func sync(stdin: Any) throws -> Process {
                try CLI.spawn(["sync", "-", "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "--db", db,
                               "--concurrency", "4", "--quiet"], environment: env, in: dir.url, stdin: stdin)
            }
            let seed = try dir.write("seed.txt", ids.prefix(40).joined(separator: "\n"))
            let seeded = try sync(stdin: FileHandle(forReadingAtPath: seed)!)
            seeded.waitUntilExit()
            try #require(seeded.terminationStatus == 0)

            let viewer = try ViewerProcess(["--db", db], in: dir.url)
            defer { viewer.stop() }
            func archived() async throws -> Int {
                let stats = try await viewer.request("/api/stats")
                #expect(stats.status == 200, "\(stats.text)")
                let groups = try #require(try JSONSerialization.jsonObject(with: Data(stats.body)) as? [[String: Any]])
                return groups.first?["calls"] as? Int ?? -1
            }
            let input = Pipe()
            let writer = try sync(stdin: input)
            var counts = [try await archived()]
            for start in stride(from: 40, to: ids.count, by: 60) {
                input.fileHandleForWriting.write(Data((ids[start..<min(start + 60, ids.count)].joined(separator: "\n") + "\n").utf8))
                try await Task.sleep(for: .milliseconds(150))
                counts.append(try await archived())
                let page = try await viewer.request("/calls/puretalk/\(ids[0])")
                #expect(page.status == 200)
                #expect(page.text.hasSuffix("</html>\n") || page.text.hasSuffix("</html>"))
                #expect(try await viewer.request("/").status == 200)
            }
            try input.fileHandleForWriting.close()
            #expect(await pollUntil(timeout: .seconds(60)) { !writer.isRunning }, "the sync ends once its input does")
            #expect(writer.terminationStatus == 0)
            counts.append(try await archived())
            #expect(counts.first == 40)
            #expect(counts.last == ids.count, "the viewer sees the sync's last commit: \(counts)")
            #expect(counts == counts.sorted(), "never fewer calls than an earlier answer saw: \(counts)")
        }
    }

    /// Hostile text in every place a page shows archive values: shown as text.
    @Test func hostileTextInTheArchiveShowsAsText() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("hostile.sqlite")
        let script = "<script>alert(1)</script>", image = "\"><img src=x onerror=alert(1)>"
        var call = NormalizedCall(provider: .retell, callID: "x\(image)", rawJSON: #"{"call_id": "\#(script)"}"#)
        call.startedAt = "2026-03-01T10:00:00.000000Z"
        call.isFinal = true
        call.assistantName = script
        call.status = image
        call.fromNumber = "+1555<b>0100</b>"
        var turn = NormalizedCall.Turn(index: 0)
        turn.role = image
        turn.content = "refund \(script) \(image)"
        turn.toolCalls = #"[{"name": "\#(script)"}]"#
        call.turns = [turn]
        var analysis = NormalizedCall.Analysis()
        analysis.summary = "refund " + image
        call.analysis = analysis
        call.fields = [.init(name: script, value: image)]
        try await ArchiveStore.open(path: db).save([.archived(call)], runID: nil)

        let viewer = try ViewerProcess(["--db", db], in: dir.url)
        defer { viewer.stop() }
        let pages = ["/", "/calls/retell/" + URLBuilder.encode(call.callID), "/search?q=refund", "/stats", "/calls/retell/" + URLBuilder.encode(call.callID) + "x"]
        for path in pages {
            let page = try await viewer.request(path)
            #expect(page.status == (path.hasSuffix("x") ? 404 : 200), "\(path)")
            #expect(!page.text.contains("<script>alert"), "\(path)")
            #expect(!page.text.contains("<img src=x"), "\(path)")
            #expect(!page.text.contains("<b>0100"), "\(path)")
            #expect(!page.text.contains("<img"), "\(path)")
        }
        let page = try await viewer.request(pages[1])
        #expect(page.text.contains("refund &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        // Inline scripts and handlers would be refused by the policy anyway.
        #expect(!page.text.contains("<script>"))
        #expect(page.text.contains("<script src=\"/assets/viewer.js\" defer></script>"))
    }

    @Test func beyondLoopbackNeedsATokenAndTheTokenGuardsEveryRequest() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("t.sqlite")
        _ = try ArchiveStore.open(path: db)
        let refused = try CLI.run(["serve", "--db", db, "--host", "0.0.0.0", "--port", "0"], in: dir.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--host 0.0.0.0 would serve the archive"))
        let short = try dir.write("short.token", "abc\n")
        let tooShort = try CLI.run(["serve", "--db", db, "--token-file", short, "--port", "0"], in: dir.url)
        #expect(tooShort.status == 2)
        #expect(tooShort.stderr.contains("at least 16 characters"))

        let secret = "s3cret-\(UUID().uuidString)"
        let tokenFile = try dir.write("viewer.token", secret + "\n")
        let viewer = try ViewerProcess(["--db", db, "--token-file", tokenFile], in: dir.url)
        #expect(try await viewer.request("/").status == 401)
        #expect(try await viewer.request("/api/calls").status == 401)
        #expect(try await viewer.request("/assets/viewer.css").status == 401)
        #expect(try await viewer.request("/", headers: [("Authorization", "Bearer wrong-\(secret)")]).status == 401)
        #expect(try await viewer.request("/", headers: [("Authorization", "Bearer \(secret)")]).status == 200)
        #expect(try await viewer.request("/?token=nope").status == 401)
        let link = try await viewer.request("/stats?by=day&token=\(secret)")
        #expect(link.status == 303 || link.status == 302)
        #expect(link.header("location") == "/stats?by=day")
        let cookie = try #require(link.header("set-cookie"))
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Strict"))
        let pair = String(cookie.prefix { $0 != ";" })
        #expect(try await viewer.request("/stats?by=day", headers: [("Cookie", pair)]).status == 200)
        let stderr = viewer.stop()
        #expect(!viewer.startLine.contains(secret))
        #expect(!stderr.contains(secret))
    }

    /// The target of `rel` in a `Link` header.
    static func link(_ header: String?, _ rel: String) -> String? {
        guard let header else { return nil }
        for part in header.components(separatedBy: ", ") where part.hasSuffix("rel=\"\(rel)\"") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">") else { continue }
            return String(part[part.index(after: open)..<close])
        }
        return nil
    }
}
