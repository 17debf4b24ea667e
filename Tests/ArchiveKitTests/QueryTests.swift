@testable import ArchiveKit
import Foundation
import GRDB
import Testing

/// A call built by hand, so each query test knows exactly what it should find.
struct CallSpec {
    var provider: Provider = .puretalk
    var id: String
    var started: String? = nil
    var status: String? = "ended"
    var direction: String? = "inbound"
    var sentiment: String? = nil
    var assistant: (id: String, name: String)? = nil
    var durationMs: Int64? = nil
    var turns: [(role: String, content: String)] = []
    var llmLatencies: [Double] = []
    var interrupted: [Bool] = []
    var summary: String? = nil
    var task: String? = nil

    var call: NormalizedCall {
        var call = NormalizedCall(provider: provider, callID: id, rawJSON: #"{"call_id": "\#(id)"}"#)
        call.startedAt = started.flatMap(Timestamp.fromISO8601)
        call.status = status
        call.direction = direction
        call.sentiment = sentiment
        call.assistantID = assistant?.id
        call.assistantName = assistant?.name
        call.durationMs = durationMs
        call.isFinal = true
        call.turns = turns.enumerated().map { i, spec in
            var turn = NormalizedCall.Turn(index: i)
            turn.role = spec.role
            turn.content = spec.content
            if i < interrupted.count { turn.interrupted = interrupted[i] }
            if i < llmLatencies.count {
                turn.latency = .init(latency: llmLatencies[i] + 1, eouDelay: 0.5, llmLatency: llmLatencies[i], ttsLatency: 0.25)
            }
            return turn
        }
        if summary != nil || task != nil {
            var analysis = NormalizedCall.Analysis()
            analysis.summary = summary
            analysis.taskCompletion = task
            call.analysis = analysis
        }
        return call
    }
}

func archive(_ specs: [CallSpec]) async throws -> ArchiveStore {
    let store = try ArchiveStore.inMemory()
    try await store.save(specs.map { .archived($0.call) }, runID: nil)
    return store
}

/// FTS5 compares each index with its content table, token by token, and throws on any difference.
func checkFullTextIndexes(_ store: ArchiveStore) throws {
    // The check is run as an INSERT command, hence a write transaction.
    try store.write { db in
        try db.execute(sql: "INSERT INTO transcript_turns_fts (transcript_turns_fts, rank) VALUES ('integrity-check', 1)")
        try db.execute(sql: "INSERT INTO call_analysis_fts (call_analysis_fts, rank) VALUES ('integrity-check', 1)")
    }
}

func ids(_ result: ResultSet) -> [String] {
    result.column("call_id").map(\.text)
}

@Suite struct SearchTests {
    static let calls = [
        CallSpec(id: "once", started: "2026-03-01T10:00:00Z", turns: [("agent", "Hello"), ("user", "I want a refund for my order")]),
        CallSpec(id: "thrice", started: "2026-03-02T10:00:00Z", turns: [("user", "refund refund refund please")]),
        CallSpec(id: "unrelated", started: "2026-03-03T10:00:00Z", turns: [("user", "What are your opening hours?")],
                 summary: "The customer asked about opening hours."),
        CallSpec(provider: .puppeteer, id: "summary-only", started: "2026-03-04T10:00:00Z",
                 summary: "The customer was refunded after a long wait."),
        CallSpec(id: "unicode", started: "2026-03-05T10:00:00Z",
                 turns: [("user", "Je voudrais un café crème, s'il vous plaît 😀"), ("user", "東京に行きたい"),
                         ("agent", "Grüße aus München")]),
        CallSpec(id: "no-turns", started: "2026-03-06T10:00:00Z", status: "failed"),
    ]

    @Test func ranksByBm25MarksTheMatchAndCoversSummaries() async throws {
        let store = try await archive(Self.calls)
        let result = try CallSearch.run("refund", filter: CallFilter(), limit: 10, in: store)
        #expect(result.columns == ["provider", "call_id", "started_at", "role", "turn_index", "snippet", "score"])
        // Porter stemming: "refunded" in the summary matches "refund" too.
        #expect(Set(ids(result)) == ["thrice", "once", "summary-only"])
        let turns = result.rows.filter { $0[3] != .text("analysis") }
        #expect(turns.map { $0[1] } == [.text("thrice"), .text("once")], "three mentions in a short turn rank first")
        #expect(turns[1][5] == .text("I want a [refund] for my order"))
        #expect(turns[1][3] == .text("user"))
        #expect(turns[1][4] == .integer(1))
        let scores = result.column("score").compactMap { if case .real(let d) = $0 { d } else { nil } }
        #expect(scores.count == 3 && scores == scores.sorted(by: >), "best first: \(scores)")
        let summary = try #require(result.rows.first { $0[3] == .text("analysis") })
        #expect(summary[0] == .text("puppeteer"))
        #expect(summary[4] == .null)
        #expect(summary[5] == .text("The customer was [refunded] after a long wait."))
    }

    @Test(arguments: [
        (#""want a refund""#, ["once"]),
        ("refun*", ["once", "thrice", "summary-only"]),
        ("refund NOT please", ["once", "summary-only"]),
        ("hours OR please", ["thrice", "unrelated"]),
        ("NEAR(want order, 4)", ["once"]),
        ("cafe", ["unicode"]),            // accents folded
        ("CRÈME", ["unicode"]),           // case and accents folded
        ("東京*", ["unicode"]),            // CJK runs are one token: prefix finds them
        ("grusse OR münchen", ["unicode"]),
        ("nothingatall", []),
    ])
    func fts5SyntaxWorks(query: String, expected: [String]) async throws {
        let store = try await archive(Self.calls)
        let result = try CallSearch.run(query, filter: CallFilter(), limit: 50, in: store)
        #expect(Set(ids(result)) == Set(expected), "\(query)")
    }

    @Test(arguments: ["refund AND", "\"unterminated", "'; DROP TABLE calls; --", "x OR", "(a", "col:refund", "follow-up"])
    func malformedQueriesGetAClearErrorAndChangeNothing(query: String) async throws {
        let store = try await archive(Self.calls)
        #expect {
            try CallSearch.run(query, filter: CallFilter(), limit: 10, in: store)
        } throws: { error in
            guard case QueryError.invalidSearch(let q, let reason) = error else { return false }
            return q == query && !reason.isEmpty && (error as? QueryError)?.description.contains("--literal") == true
        }
        #expect(try rowCount(store, "calls") == Self.calls.count)
    }

    @Test func literalSearchTakesHostileTextAsAPhrase() async throws {
        var calls = Self.calls
        calls.append(CallSpec(id: "quotes", started: "2026-03-07T10:00:00Z",
                              turns: [("user", #"She said "don't" and then '; DROP TABLE calls; --"#)]))
        let store = try await archive(calls)
        let hostile = try CallSearch.run("'; DROP TABLE calls; --", literal: true, filter: CallFilter(), limit: 10, in: store)
        #expect(ids(hostile) == ["quotes"])
        let quoted = try CallSearch.run(#""don't""#, literal: true, filter: CallFilter(), limit: 10, in: store)
        #expect(ids(quoted) == ["quotes"])
        let none = try CallSearch.run("it's nowhere", literal: true, filter: CallFilter(), limit: 10, in: store)
        #expect(none.rows.isEmpty)
        #expect(try rowCount(store, "calls") == calls.count)
    }

    @Test func filtersApplyToMatches() async throws {
        let store = try await archive(Self.calls)
        var filter = CallFilter()
        filter.provider = .puretalk
        #expect(ids(try CallSearch.run("refund", filter: filter, limit: 10, in: store)) == ["thrice", "once"])
        filter.since = TimeBound.since("2026-03-02")
        #expect(ids(try CallSearch.run("refund", filter: filter, limit: 10, in: store)) == ["thrice"])
        filter.until = TimeBound.until("2026-03-01")
        #expect(try CallSearch.run("refund", filter: filter, limit: 10, in: store).rows.isEmpty)
        #expect(try CallSearch.run("refund", filter: CallFilter(), limit: 1, in: store).rows.count == 1)
    }

    @Test func reSyncingACallLeavesNoStaleOrDuplicateEntries() async throws {
        let store = try await archive(Self.calls)
        var changed = Self.calls[0]
        changed.turns = [("user", "Actually I only need a receipt")]
        changed.summary = "A receipt was sent."
        try await store.save([.archived(changed.call), .archived(changed.call)], runID: nil)
        #expect(ids(try CallSearch.run("refund", filter: CallFilter(), limit: 10, in: store)).contains("once") == false)
        #expect(ids(try CallSearch.run("receipt", filter: CallFilter(), limit: 10, in: store)) == ["once", "once"],
                "one turn and one summary, each once")
        try checkFullTextIndexes(store)
        // Deleting a call cascades to its turns, and the triggers take them out of the index.
        try await store.write { try $0.execute(sql: "DELETE FROM calls WHERE call_id = 'thrice'") }
        #expect(ids(try CallSearch.run("refund", filter: CallFilter(), limit: 10, in: store)) == ["summary-only"])
    }
}

@Suite struct ListTests {
    static let calls = [
        CallSpec(id: "a", started: "2026-03-01T00:00:00Z", direction: "inbound", sentiment: "Positive",
                 assistant: ("asst_1", "Front Desk"), durationMs: 30_000, summary: "Booked a table for two people tonight please", task: "complete"),
        CallSpec(id: "b", started: "2026-03-01T23:59:59.999999Z", status: "error", direction: "outbound", sentiment: "negative",
                 assistant: ("asst_2", "Collections"), durationMs: 125_000, task: "incomplete"),
        CallSpec(provider: .puppeteer, id: "c", started: "2026-03-02T00:00:00Z", sentiment: "NEUTRAL", durationMs: 5_000, task: "Complete"),
        CallSpec(id: "never-started", started: nil, status: "scheduled"),
        CallSpec(id: "ünï-çødé ☎", started: "2026-02-28T12:00:00+01:00", status: "ended", durationMs: 61_000),
    ]

    func list(_ change: (inout CallFilter) -> Void = { _ in }, limit: Int? = 50) async throws -> ResultSet {
        let store = try await archive(Self.calls)
        var filter = CallFilter()
        change(&filter)
        let (sql, arguments) = CallList.query(filter, limit: limit)
        return try store.collect(sql, arguments: arguments)
    }

    @Test func newestFirstWithTheDocumentedColumns() async throws {
        let result = try await list()
        #expect(result.columns == ["started_at", "provider", "call_id", "direction", "duration_s", "status", "sentiment", "summary"])
        #expect(ids(result) == ["c", "b", "a", "ünï-çødé ☎", "never-started"])
        #expect(result.rows[2] == [.text("2026-03-01T00:00:00.000000Z"), .text("puretalk"), .text("a"), .text("inbound"),
                                   .real(30), .text("ended"), .text("Positive"), .text("Booked a table for two people tonight please")])
        #expect(result.rows[3][0] == .text("2026-02-28T11:00:00.000000Z"), "offsets are converted to UTC")
        #expect(ids(try await list(limit: 2)) == ["c", "b"])
    }

    @Test func everyFilter() async throws {
        #expect(ids(try await list { $0.provider = .puppeteer }) == ["c"])
        #expect(ids(try await list { $0.since = TimeBound.since("2026-03-01") }) == ["c", "b", "a"])
        #expect(ids(try await list { $0.until = TimeBound.until("2026-03-01") }) == ["b", "a", "ünï-çødé ☎"], "a bare --until date includes that day")
        #expect(ids(try await list { $0.until = TimeBound.until("2026-03-01T12:00") }) == ["a", "ünï-çødé ☎"])
        #expect(ids(try await list { $0.statuses = ["ERROR", "scheduled"] }) == ["b", "never-started"])
        #expect(ids(try await list { $0.directions = ["outbound"] }) == ["b"])
        #expect(ids(try await list { $0.assistants = ["asst_2"] }) == ["b"])
        #expect(ids(try await list { $0.assistants = ["front desk"] }) == ["a"])
        #expect(ids(try await list { $0.sentiments = ["neutral", "positive"] }) == ["c", "a"])
        #expect(ids(try await list { $0.minDurationMs = 61_000 }) == ["b", "ünï-çødé ☎"])
        #expect(ids(try await list { $0.failedTask = true }) == ["b"], "'Complete' counts as complete; no analysis is not a failure")
    }

    @Test(arguments: ["ended' OR '1'='1", "x\"); DROP TABLE calls; --", "%", "*", "'", "NULL", "\0"])
    func hostileFilterValuesAreOnlyEverValues(value: String) async throws {
        let store = try await archive(Self.calls)
        var filter = CallFilter()
        filter.statuses = [value]
        filter.assistants = [value]
        filter.sentiments = [value]
        let (sql, arguments) = CallList.query(filter, limit: nil)
        #expect(!sql.contains(value) || value == "*" || value == "%")
        #expect(try store.collect(sql, arguments: arguments).rows.isEmpty)
        #expect(try rowCount(store, "calls") == Self.calls.count)
    }

    @Test func timeBounds() {
        #expect(TimeBound.since("2026-03-01") == "2026-03-01T00:00:00.000000Z")
        #expect(TimeBound.until("2026-03-01") == "2026-03-02T00:00:00.000000Z")
        #expect(TimeBound.until("2026-12-31") == "2027-01-01T00:00:00.000000Z")
        #expect(TimeBound.since("2026-03-01T14:30") == "2026-03-01T14:30:00.000000Z")
        #expect(TimeBound.since("2026-03-01 14:30:00-05:00") == "2026-03-01T19:30:00.000000Z")
        #expect(TimeBound.since("yesterday") == nil)
        #expect(TimeBound.until("2026-02-30") == nil)
    }
}

@Suite struct StatsTests {
    @Test func percentilesAreExactNearestRank() async throws {
        // Durations 1…10 s; one call carries 100 LLM latencies 0.01…1.00 s.
        var calls = (1...10).map { i in
            CallSpec(id: "d\(i)", started: "2026-03-01T00:00:00Z", sentiment: i <= 3 ? "Positive" : "negative", durationMs: Int64(i) * 1000,
                     task: i <= 2 ? "complete" : i <= 3 ? "incomplete" : nil)
        }
        calls[0].turns = (0..<100).map { _ in ("agent", "x") }
        calls[0].llmLatencies = (1...100).map { Double($0) / 100 }.shuffled()
        calls[0].interrupted = (0..<100).map { $0 < 10 }
        calls[1].turns = [("user", "y"), ("agent", "z")]
        calls[1].interrupted = [false, false]
        calls.append(CallSpec(provider: .puppeteer, id: "p1", started: "2026-03-02T00:00:00Z", direction: "outbound", durationMs: 7_500))
        let store = try await archive(calls)

        let all = try #require(try CallStats.compute(CallFilter(), by: nil, in: store).first)
        #expect(all.key == "all")
        #expect(all.calls == 11)
        // Durations 1,2,…,10 and 7.5: sorted, rank ⌈0.5·11⌉ = 6 is 6; ⌈0.9·11⌉ = 10 is 9; ⌈0.99·11⌉ = 11 is 10.
        #expect(all.duration == CallStats.Percentiles(count: 11, p50: 6, p90: 9, p99: 10))
        let llm = try #require(all.latency.first { $0.metric == "llm_latency" }?.percentiles)
        #expect(llm == CallStats.Percentiles(count: 100, p50: 0.5, p90: 0.9, p99: 0.99))
        let total = try #require(all.latency.first { $0.metric == "latency" }?.percentiles)
        #expect(total.p90 == 1.9)
        #expect(all.latency.map(\.metric) == ["latency", "eou_delay", "llm_latency", "tts_latency"])
        #expect(all.taskCompletion == CallStats.Rate(numerator: 2, denominator: 3))
        #expect(all.interruptedTurns == CallStats.Rate(numerator: 10, denominator: 102))
        #expect(all.interruptedCalls == CallStats.Rate(numerator: 1, denominator: 2), "calls without turns are not counted")
        let sentiment = try #require(all.counts.first { $0.dimension == "sentiment" }?.values)
        #expect(sentiment == [.init(value: "negative", calls: 7), .init(value: "positive", calls: 3), .init(value: nil, calls: 1)])

        let byProvider = try CallStats.compute(CallFilter(), by: .provider, in: store)
        #expect(byProvider.map(\.key) == ["puppeteer", "puretalk"])
        #expect(byProvider[0].calls == 1 && byProvider[0].latency.isEmpty && byProvider[0].taskCompletion.value == nil)
        #expect(byProvider[1].duration == CallStats.Percentiles(count: 10, p50: 5, p90: 9, p99: 10))

        let byDirection = try CallStats.compute(CallFilter(), by: .direction, in: store)
        #expect(byDirection.map(\.key) == ["inbound", "outbound"])
    }

    @Test func reportsInEveryFormat() async throws {
        let store = try await archive([
            CallSpec(id: "one", started: "2026-03-01T00:00:00Z", sentiment: "positive", durationMs: 2_000,
                     turns: [("agent", "hi")], llmLatencies: [0.75], interrupted: [true], task: "complete"),
        ])
        let groups = try CallStats.compute(CallFilter(), by: nil, in: store)
        let json = StatsReport.json(groups[0], by: nil).jsonText
        #expect(json == #"{"group_by":null,"group":"all","calls":1,"status":{"ended":1},"sentiment":{"positive":1},"direction":{"inbound":1},"answered_by":{"(none)":1},"duration_s":{"count":1,"p50":2.0,"p90":2.0,"p99":2.0},"task_completion":{"rate":1.0,"complete":1,"of":1},"call_completion":{"rate":null,"complete":0,"of":0},"interrupted_turns":{"rate":1.0,"interrupted":1,"of":1},"interrupted_calls":{"rate":1.0,"interrupted":1,"of":1},"latency":{"unit":"s","latency":{"count":1,"p50":1.75,"p90":1.75,"p99":1.75,"from_turns":1,"from_calls":0},"eou_delay":{"count":1,"p50":0.5,"p90":0.5,"p99":0.5,"from_turns":1,"from_calls":0},"asr_latency":null,"llm_latency":{"count":1,"p50":0.75,"p90":0.75,"p99":0.75,"from_turns":1,"from_calls":0},"tts_latency":{"count":1,"p50":0.25,"p90":0.25,"p99":0.25,"from_turns":1,"from_calls":0}}}"#)
        let rows = StatsReport.rows(groups, by: nil)
        #expect(rows.rows.first { $0[1] == .text("latency.llm_latency.p90") } == [.text("all"), .text("latency.llm_latency.p90"), .real(0.75)])
        #expect(rows.rows.first { $0[1] == .text("calls") } == [.text("all"), .text("calls"), .integer(1)])
        let text = StatsReport.text(groups, by: nil)
        #expect(text.contains("All calls: 1 call\n"))
        #expect(text.contains("task done    100% (1 of 1)"))
        #expect(StatsReport.text([], by: nil) == "No calls match.\n")
    }

    @Test func emptyArchive() async throws {
        let store = try ArchiveStore.inMemory()
        #expect(try CallStats.compute(CallFilter(), by: .day, in: store).isEmpty)
        let (sql, arguments) = CallList.query(CallFilter(), limit: nil)
        #expect(try store.collect(sql, arguments: arguments).rows.isEmpty)
        #expect(try CallSearch.run("anything", filter: CallFilter(), limit: 5, in: store).rows.isEmpty)
        let out = OutputBuffer.memory()
        #expect(try ArchiveExport.calls(CallFilter(), from: store, to: out) == 0)
        #expect(out.text == "")
    }
}

@Suite struct RowWriterTests {
    static let columns = ["id", "text", "n", "x"]
    static let rows: [[Cell]] = [
        [.text("a"), .text("plain"), .integer(1), .real(0.5)],
        [.text("b,c"), .text("say \"hi\"\r\nthen go"), .null, .real(-2e-7)],
        [.text("é☎"), .text("tab\there \\ back"), .integer(-3), .null],
    ]

    func render(_ format: RowFormat, _ rows: [[Cell]] = rows, width: Int? = nil) -> String {
        let out = OutputBuffer.memory()
        ResultSet(columns: Self.columns, rows: rows).write(to: RowWriter(format: format, columns: Self.columns, output: out, maxWidth: width))
        return out.text
    }

    @Test func csvIsRFC4180() {
        #expect(render(.csv) == "id,text,n,x\r\na,plain,1,0.5\r\n\"b,c\",\"say \"\"hi\"\"\r\nthen go\",,-2e-07\r\né☎,tab\there \\ back,-3,\r\n")
        #expect(render(.csv, []) == "id,text,n,x\r\n")
    }

    @Test func jsonAndNDJSONKeepTypes() {
        let first = #"{"id":"a","text":"plain","n":1,"x":0.5}"#
        let second = #"{"id":"b,c","text":"say \"hi\"\r\nthen go","n":null,"x":-2e-07}"#
        let third = #"{"id":"é☎","text":"tab\there \\ back","n":-3,"x":null}"#
        #expect(render(.ndjson) == [first, second, third].joined(separator: "\n") + "\n")
        #expect(render(.json) == "[\n" + [first, second, third].joined(separator: ",\n") + "\n]\n")
        #expect(render(.json, []) == "[]\n")
        #expect(render(.ndjson, []) == "")
        for line in render(.ndjson).split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }

    @Test func tsvEscapesSeparators() {
        #expect(render(.tsv) == "id\ttext\tn\tx\na\tplain\t1\t0.5\nb,c\tsay \"hi\"\\r\\nthen go\t\t-2e-07\né☎\ttab\\there \\\\ back\t-3\t\n")
    }

    @Test func tableAlignsWideCharactersAndFitsTheWidth() {
        let rows: [[Cell]] = [
            [.text("東京"), .text("a long sentence that will not fit in a narrow terminal at all"), .integer(7), .real(1.5)],
            [.text("ab"), .text("short"), .integer(1234), .null],
        ]
        let table = render(.table, rows, width: 40)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { TextWidth.of($0) <= 40 }, "\(lines)")
        #expect(lines[2].hasPrefix("東京  a long"), "CJK takes two columns each")
        #expect(lines[3].hasPrefix("ab    short"))
        #expect(lines[2].contains("…"))
        #expect(lines[2].hasSuffix("   7  1.5"), "numbers align right: \(lines[2])")
        #expect(lines[3].hasSuffix("1234"))
        #expect(TextWidth.of("東京") == 4 && TextWidth.of("e\u{301}") == 1 && TextWidth.of("😀") == 2)
    }
}
