@testable import ArchiveKit
@testable import ArchiveViewer
import Foundation
import Testing

/// The viewer's decisions, without a socket: paging, ranges, escaping, access.
@Suite struct ViewerUnitTests {
    /// Ties on `started_at`, two vendors, and calls that never started: every
    /// page size walks the list in `archive list`'s order, forwards and back,
    /// each call once.
    @Test(arguments: [1, 2, 3, 5, 13])
    func keysetPagesWalkTheListInItsOrder(pageSize: Int) async throws {
        var specs: [CallSpec] = []
        for i in 0..<12 {
            let started = i < 9 ? "2026-03-0\(1 + i / 3)T10:00:00Z" : nil  // three calls at each instant, three never started
            specs.append(CallSpec(provider: i % 2 == 0 ? .puretalk : .retell, id: "call-\(11 - i)", started: started))
        }
        let store = try await archive(specs)
        let (sql, arguments) = CallList.query(CallFilter(), limit: nil)
        let everything = try store.collect(sql, arguments: arguments)
        func key(_ result: ResultSet, _ row: [Cell]) -> String { "\(result.cell(row, "provider").text)/\(result.cell(row, "call_id").text)" }
        let expected = everything.rows.map { key(everything, $0) }
        #expect(expected.count == 12)

        var forward: [String] = []
        var position: CallList.Position?
        var pages: [[String]] = []
        repeat {
            let page = try CallList.page(CallFilter(), from: position, .after, limit: pageSize, columns: .list, in: store)
            let keys = page.rows.map { key(page, $0) }
            #expect(keys.count <= pageSize)
            if keys.isEmpty { break }
            pages.append(keys)
            forward += keys
            let last = page.rows.last!
            position = CallList.Position(startedAt: page.text(last, "started_at"), provider: page.text(last, "provider")!, callID: page.text(last, "call_id")!)
        } while pages.count < 20
        #expect(forward == expected)

        // Backwards from the last call: the pages before it, in list order.
        var backward: [String] = []
        position = CallList.Position(startedAt: nil, provider: String(expected.last!.split(separator: "/")[0]), callID: String(expected.last!.split(separator: "/")[1]))
        while true {
            let page = try CallList.page(CallFilter(), from: position, .before, limit: pageSize, columns: .list, in: store)
            guard let first = page.rows.first else { break }
            backward = page.rows.map { key(page, $0) } + backward
            position = CallList.Position(startedAt: page.text(first, "started_at"), provider: page.text(first, "provider")!, callID: page.text(first, "call_id")!)
        }
        #expect(backward == Array(expected.dropLast()))
    }

    @Test func theDetailedListAddsAssistantRecordingAndWorstLatency() async throws {
        var spec = CallSpec(id: "slow", started: "2026-03-01T10:00:00Z", assistant: (id: "a1", name: "Booker"))
        spec.turns = [("agent", "hi"), ("user", "refund"), ("agent", "sure")]
        spec.llmLatencies = [0.5, 0, 2.25]
        let store = try await archive([spec])
        let page = try CallList.page(CallFilter(), from: nil, limit: 10, in: store)
        #expect(page.columns == ["started_at", "provider", "call_id", "direction", "duration_s", "status", "sentiment", "summary",
                                 "assistant", "has_recording", "worst_latency_s"])
        let row = try #require(page.rows.first)
        #expect(page.cell(row, "assistant") == .text("Booker"))
        #expect(page.cell(row, "has_recording") == .integer(0))
        #expect(page.cell(row, "worst_latency_s") != .null)
    }

    @Test func rangesAreDecidedAsTheRFCSays() {
        #expect(ByteRange(header: nil, size: 100) == .whole)
        #expect(ByteRange(header: "bytes=0-9", size: 100) == .partial(0...9))
        #expect(ByteRange(header: "bytes=90-", size: 100) == .partial(90...99))
        #expect(ByteRange(header: "bytes=90-500", size: 100) == .partial(90...99))
        #expect(ByteRange(header: "bytes=-10", size: 100) == .partial(90...99))
        #expect(ByteRange(header: "bytes=-500", size: 100) == .partial(0...99))
        #expect(ByteRange(header: "bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=0-", size: 0) == .unsatisfiable)
        // Malformed, several ranges or another unit: the whole file.
        for header in ["bytes=9-1", "bytes=a-b", "items=0-1", "bytes=0-1,5-6", "bytes=", "bytes=--1"] {
            #expect(ByteRange(header: header, size: 100) == .whole, "\(header)")
        }
    }

    @Test func onlyLoopbackIsServedWithoutAToken() throws {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] { #expect(ViewerConfiguration.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "192.168.1.10", "::", "example.com", "127.0.0.1.example.com", "1270.0.0.1"] {
            #expect(!ViewerConfiguration.isLoopback(host), "\(host)")
        }
        var configuration = ViewerConfiguration(databasePath: "a", recordingsDirectory: "b")
        configuration.host = "0.0.0.0"
        #expect(throws: ViewerSetupError.tokenRequired(host: "0.0.0.0")) { try configuration.validate() }
        configuration.token = AccessToken("a-long-enough-secret")
        try configuration.validate()
    }

    @Test func theTokenMatchesOnlyItselfAndNeverPrints() {
        let token = AccessToken("a-long-enough-secret")
        #expect(token.matches("a-long-enough-secret"))
        for wrong in ["", "a-long-enough-secreT", "a-long-enough-secret ", "a-long-enough-secre", "a-long-enough-secret-and-more"] {
            #expect(!token.matches(wrong), "\(wrong)")
        }
        #expect(!"\(token)".contains("secret"))
        // A token file: trimmed, long enough, and made of what a cookie may carry.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ text: String) -> String {
            let path = dir.appendingPathComponent(UUID().uuidString).path
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        #expect((try? AccessToken(file: file("  a-long-enough-secret\n")))?.matches("a-long-enough-secret") == true)
        for bad in ["short", "a-long-enough \"secret\"", "a-long-enough;secret", "a-long-enough\\secret", "a-long-enough sécret"] {
            #expect(throws: ViewerSetupError.self, "\(bad)") { try AccessToken(file: file(bad)) }
        }
    }

    @Test func valuesAreEscapedWhereverTheyArePlaced() {
        let hostile = "<script>alert('x')</script>\"&"
        let html: HTML = "<p title=\"\(hostile)\">\(hostile)</p>"
        #expect(html.markup == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;</p>")
        #expect(URLBuilder.path("calls", "retell", "a/b?c#d e") == "/calls/retell/a%2Fb%3Fc%23d%20e")
        #expect(URLBuilder.query([("since", "2026-03-01"), ("q", "a&b=c")]) == "?since=2026-03-01&q=a%26b%3Dc")
        #expect(URLBuilder.parseQuery("q=refund+policy&status=a%26b&flag").map { "\($0.name)=\($0.value)" } == ["q=refund policy", "status=a&b", "flag="])
        // Snippet markers become <mark> only after the text is escaped.
        let snippet = SearchPage.highlighted("\u{E000}<b>refund</b>\u{E001} now")
        #expect(snippet.markup == "<mark>&lt;b&gt;refund&lt;/b&gt;</mark> now")
    }

    @Test func cursorsRoundTripAndRefuseDamage() {
        for position in [CallList.Position(startedAt: "2026-03-01T10:00:00.000000Z", provider: "vapi", callID: "a/b \"c\""),
                         CallList.Position(startedAt: nil, provider: "puretalk", callID: "ünï ☎")] {
            let token = Cursor.encode(position)
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(Cursor.decode(token) == position)
        }
        for damaged in ["", "!!", "bm90IGpzb24", Cursor.encode(CallList.Position(startedAt: nil, provider: "p", callID: "c")).dropLast(3).description] {
            #expect(Cursor.decode(damaged) == nil, "\(damaged)")
        }
    }

    @Test func filtersInTheQueryStringMeanWhatTheOptionsMean() throws {
        let query = ListQuery("provider=vapi&since=2026-03-01&until=2026-03-31&status=ended&status=error&min-duration=1.5&failed-task=1&assistant=&q=x")
        let filter = try query.filter()
        var expected = try CallFilter(provider: .vapi, since: "2026-03-01", until: "2026-03-31", statuses: ["ended", "error"], directions: [],
                                      assistants: [], sentiments: [], minDurationSeconds: 1.5, failedTask: true)
        #expect(filter == expected)
        expected.failedTask = false
        #expect(try ListQuery("provider=vapi&since=2026-03-01&until=2026-03-31&status=ended&status=error&min-duration=1.5").filter() == expected)
        #expect(query.filterItems.map(\.name) == ["provider", "since", "until", "status", "status", "min-duration", "failed-task"])
        #expect(throws: ViewerError.self) { try ListQuery("provider=nobody").filter() }
        #expect(throws: ViewerError.self) { try ListQuery("since=yesterday").filter() }
        #expect(throws: ViewerError.self) { try ListQuery("min-duration=-1").filter() }
    }
}
