import ArchiveKit
import Foundation

/// `/calls/{provider}/{call_id}`: one call as a reviewer reads it, with the
/// recording beside the transcript.
struct CallPage {
    let stored: StoredCall
    /// The list this call was opened from (its filters), for previous/next.
    let query: ListQuery
    let previous: CallList.Position?
    let next: CallList.Position?

    var call: NormalizedCall { stored.call }

    var html: HTML {
        Layout.page(title: "\(call.provider.rawValue) \(call.callID)", section: .calls, body: """
            <nav class="pager">\(neighbour(previous, "← Newer call"))<a href="/\(URLBuilder.query(query.filterItems))">Back to the list</a>\(neighbour(next, "Older call →"))</nav>
            <h1>\(call.provider.displayName) call \(call.callID)</h1>
            \(facts)
            \(recording)
            \(analysis)
            \(callLatency)
            <h2>Transcript</h2>
            \(transcript)
            <h2>Raw body</h2>
            <p><a href="\(URLBuilder.path("calls", call.provider.rawValue, call.callID, "raw"))">Download the body exactly as the vendor sent it</a> (\(call.rawJSON.utf8.count) bytes) · <a href="\(URLBuilder.path("api", "calls", call.provider.rawValue, call.callID))">JSON</a></p>
            <details><summary>Show it, pretty-printed</summary><pre class="raw">\(Self.pretty(call.rawJSON))</pre></details>
            """)
    }

    private func neighbour(_ position: CallList.Position?, _ label: String) -> HTML {
        guard let position else { return "<span class=\"muted\">\(label)</span>" }
        return "<a href=\"\(URLBuilder.path("calls", position.provider, position.callID) + URLBuilder.query(query.filterItems))\">\(label)</a>"
    }

    private var facts: HTML {
        func time(_ stored: String?) -> HTML? {
            stored.map { "<time datetime=\"\($0)\">\(CallPresenter.readableTime($0))</time>" }
        }
        let assistant = [call.assistantName, call.assistantID.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        let rows: [(String, HTML?)] = [
            ("from", call.fromNumber.map(HTML.init(text:))), ("to", call.toNumber.map(HTML.init(text:))),
            ("direction", call.direction.map(HTML.init(text:))), ("assistant", assistant.isEmpty ? nil : HTML(text: assistant)),
            ("started", time(call.startedAt)), ("ended", time(call.endedAt)),
            ("duration", call.durationMs.map { HTML(text: CallPresenter.readableDuration($0)) }),
            ("cost", call.costUSD.map { HTML(text: String(format: "$%.4f", $0)) }),
            ("status", call.status.map(HTML.init(text:))), ("disconnection", call.disconnectionReason.map(HTML.init(text:))),
            ("sentiment", call.sentiment.map(HTML.init(text:))), ("final", HTML(text: call.isFinal ? "yes" : "no (still in progress when fetched)")),
        ]
        return "<dl class=\"facts\">\(rows.compactMap { label, value in value.map { "<dt>\(label)</dt><dd>\($0)</dd>" as HTML } })</dl>"
    }

    private var recording: HTML {
        guard let mono = stored.recording else {
            return "<p class=\"muted\">No recording archived for this call (sync with --recordings, or run archive recordings).</p>"
        }
        let seekable = call.turns.contains { Self.timing($0) != nil }
        let twoParty: HTML = stored.twoPartyRecording.map { row in
            "<p>Two-party recording (\(row.variant.rawValue)): <a href=\"\(URLBuilder.path("recordings", row.sha256))\">download</a></p>"
        } ?? .empty
        return """
            <h2>Recording</h2>
            <audio controls preload="metadata"\(seekable ? " data-sync" as HTML : "") src="\(URLBuilder.path("recordings", mono.sha256))"></audio>
            <p class="muted">\(mono.contentType ?? "audio"), \(mono.size) bytes, SHA-256 \(mono.sha256)\(seekable ? ". Click a turn to hear it." : ". The vendor gives no turn timing, so the transcript cannot follow the audio.")</p>
            \(twoParty)
            """
    }

    private var analysis: HTML {
        var parts: [HTML] = []
        if let a = call.analysis {
            let rows: [(String, String?)] = [("summary", a.summary), ("call completion", joined(a.callCompletion, a.callCompletionSummary)),
                                             ("task completion", joined(a.taskCompletion, a.taskCompletionSummary))]
            let present = rows.compactMap { label, value in value.map { "<dt>\(label)</dt><dd>\($0)</dd>" as HTML } }
            if !present.isEmpty { parts.append("<dl class=\"facts\">\(present)</dl>") }
        }
        if !call.fields.isEmpty {
            parts.append("""
                <h2>Post-call analysis fields</h2>
                <table><thead><tr><th>field</th><th>value</th></tr></thead><tbody>\(call.fields.map { "<tr><td>\($0.name)</td><td>\($0.value)</td></tr>" as HTML })</tbody></table>
                """)
        }
        return parts.isEmpty ? .empty : "<h2>Analysis</h2>\(parts)"
    }

    private func joined(_ verdict: String?, _ summary: String?) -> String? {
        let text = [verdict, summary].compactMap { $0 }.joined(separator: ": ")
        return text.isEmpty ? nil : text
    }

    private var callLatency: HTML {
        let series = CallPresenter.samplesByMetric(call)
        guard !series.isEmpty else { return .empty }
        return "<h2>Latency, call-level samples</h2><div class=\"chart\">\(Charts.strip(series))</div>"
    }

    private var transcript: HTML {
        guard !call.turns.isEmpty else { return "<p class=\"muted\">No transcript turns.</p>" }
        let scale = call.turns.compactMap { turn in turn.latency.map(Self.total) }.max() ?? 0
        let legend: HTML = scale > 0 ? """
            <p class="legend"><span><i class="eou"></i>end of utterance</span><span><i class="llm"></i>LLM</span><span><i class="tts"></i>TTS</span><span class="muted">one scale for every turn: 0 to \(Charts.seconds(scale))</span></p>
            """ : .empty
        let turns = call.turns.map { turn -> HTML in
            let timing = stored.recording == nil ? nil : Self.timing(turn)
            let role = turn.role ?? "turn"
            let kind: HTML = role == "agent" || role == "assistant" || role == "bot" ? " agent" : ""
            let data: HTML = timing.map { "data-start=\"\(Charts.fmt3($0.start))\"\($0.end.map { " data-end=\"\(Charts.fmt3($0))\"" as HTML } ?? .empty)" } ?? .empty
            var tools: [String] = []
            if let name = turn.functionName { tools.append("\(name)(\(turn.functionArgs ?? ""))") }
            if let calls = turn.toolCalls, (try? JSONParser.parse(calls)) != .array([]) { tools.append(Self.pretty(calls)) }
            let bar = turn.latency.map { l in Charts.turnBar(eou: l.eouDelay, llm: l.llmLatency, tts: l.ttsLatency, total: l.latency, scale: scale) } ?? .empty
            return """
                <li class="turn\(kind)" id="turn-\(turn.index)" \(data)>
                <div class="who">\(role)\(timing.map { "<span class=\"at\">\(Self.clock($0.start))</span>" as HTML } ?? .empty)</div>
                <div class="said">\(turn.content ?? "")\(turn.interrupted == true ? " <span class=\"interrupted\">(interrupted)</span>" as HTML : .empty)\(tools.isEmpty ? .empty : "<div class=\"tools\">\(tools.joined(separator: "\n"))</div>" as HTML)</div>
                <div class="latency">\(bar)</div>
                </li>
                """
        }
        return "\(legend)<ol class=\"turns\">\(turns)</ol>"
    }

    static func total(_ l: NormalizedCall.Latency) -> Double {
        l.latency ?? [l.eouDelay, l.llmLatency, l.ttsLatency].compactMap { $0 }.reduce(0, +)
    }

    /// Where a turn lies in the recording, when the vendor says: the first
    /// and last word's `start`/`end` (Retell, PuppeteerAI), or Vapi's
    /// `secondsFromStart` and `duration` (milliseconds).
    static func timing(_ turn: NormalizedCall.Turn) -> (start: Double, end: Double?)? {
        if let words = turn.words, case .array(let list)? = try? JSONParser.parse(words),
           let start = list.first?["start"]?.double {
            return (start, list.last?["end"]?.double)
        }
        if let extra = turn.extra, let object = try? JSONParser.parse(extra), let start = object["secondsFromStart"]?.double {
            return (start, object["duration"]?.double.map { start + $0 / 1000 })
        }
        return nil
    }

    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds)
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }

    /// JSON text indented for reading; text that is not JSON is shown as it is.
    static func pretty(_ text: String) -> String {
        (try? JSONParser.parse(text))?.prettyText ?? text
    }
}
