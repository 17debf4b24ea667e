import Foundation
import GRDB

/// Renders a `StoredCall` for people (`show`) and for programs (`show --json`).
public enum CallPresenter {
    // MARK: JSON

    /// The normalized call as one JSON document. Keys are the schema's column
    /// names, in the tables' order; JSON columns are embedded as JSON, 0/1
    /// flags as booleans.
    public static func json(_ stored: StoredCall) -> JSONValue {
        let call = stored.call
        var members = self.members(call).filter { $0.key != NormalizedCall.Columns.rawJSON.rawValue }
        members.append(("analysis", call.analysis.map(object) ?? .null))
        members.append(("recording", stored.recording.map(object) ?? .null))
        members.append(("two_party_recording", stored.twoPartyRecording.map(object) ?? .null))
        members.append(("post_analysis_fields", .array(call.fields.map(object))))
        members.append(("turns", .array(call.turns.map { turn in
            .object(JSONObject(self.members(turn) + [("latency", turn.latency.map(object) ?? .null)]))
        })))
        members.append(("latency_samples", .object(JSONObject(samplesByMetric(call).map { metric, seconds in
            (metric, .array(seconds.map { value($0, embeddingJSON: false) }))
        }))))
        return .object(JSONObject(members))
    }

    /// Call-level samples per metric (by name), each series in the vendor's order.
    public static func samplesByMetric(_ call: NormalizedCall) -> [(metric: String, seconds: [Double])] {
        var out: [(metric: String, seconds: [Double])] = []
        for sample in call.latencySamples.sorted(by: { ($0.metric, $0.position) < ($1.metric, $1.position) }) {
            if out.last?.metric == sample.metric { out[out.count - 1].seconds.append(sample.seconds) } else { out.append((sample.metric, [sample.seconds])) }
        }
        return out
    }

    private static func object<Record: ArchiveRecord>(_ record: Record) -> JSONValue {
        .object(JSONObject(members(record)))
    }

    /// A record's own columns as JSON members.
    private static func members<Record: ArchiveRecord>(_ record: Record) -> [(key: String, value: JSONValue)] {
        Record.Columns.allCases.map { column in
            (column.rawValue, value(record.value(column), embeddingJSON: Record.jsonColumns.contains(column)))
        }
    }

    static func value(_ value: (any DatabaseValueConvertible)?, embeddingJSON: Bool) -> JSONValue {
        if let flag = value as? Bool { return .bool(flag) }
        switch (value?.databaseValue ?? .null).storage {
        case .null: return .null
        case .int64(let i): return .number(String(i))
        case .double(let d): return .number(d.isFinite ? "\(d)" : "null")
        case .string(let s):
            if embeddingJSON, let parsed = try? JSONParser.parse(s) { return parsed }
            return .string(s)
        case .blob(let data): return .string(data.base64EncodedString())
        }
    }

    // MARK: Text

    /// A terminal-friendly view: header, analysis, then the transcript turn by turn.
    /// `recordings` is the recordings directory, to say where an archived recording is.
    public static func text(_ stored: StoredCall, recordings: String? = nil) -> String {
        header(stored, recordings: recordings) + "\n" + analysis(stored.call) + "\n" + callLatency(stored.call) + transcript(stored.call)
    }

    /// Retell's and Vapi's latency, which belongs to the call and not to a turn: per metric, the count, median and worst.
    private static func callLatency(_ call: NormalizedCall) -> String {
        let series = samplesByMetric(call)
        guard !series.isEmpty else { return "" }
        var out = "Latency, call-level samples (s)\n"
        for (metric, seconds) in series {
            let sorted = seconds.sorted()
            out += "  " + metric.padding(toLength: 26, withPad: " ", startingAt: 0)
                + "n \(sorted.count)  p50 \(sorted[(sorted.count + 1) / 2 - 1])  max \(sorted[sorted.count - 1])\n"
        }
        return out + "\n"
    }

    /// `  label       value`, or nothing for an empty value.
    private static func line(_ label: String, _ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        return "  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value + "\n"
    }

    private static func header(_ stored: StoredCall, recordings: String?) -> String {
        let c = stored.call
        var out = "\(c.provider.displayName) call \(c.callID)  [\(c.status ?? "status unknown")\(c.isFinal ? "" : ", may still change")]\n"
        out += line("direction", [c.direction, c.callType.map { "(\($0))" }].compactMap { $0 }.joined(separator: " "))
        if c.fromNumber != nil || c.toNumber != nil {
            out += line("numbers", "\(c.fromNumber ?? "?") → \(c.toNumber ?? "?")")
        }
        out += line("assistant", c.assistantName.map { name in c.assistantID.map { "\(name) (\($0))" } ?? name } ?? c.assistantID)
        out += line("voice", c.voiceName)
        out += line("thread", c.threadID)
        out += line("started", c.startedAt.map(readableTime))
        out += line("ended", c.endedAt.map(readableTime))
        out += line("scheduled", c.scheduledFor.map(readableTime))
        out += line("duration", c.durationMs.map(readableDuration))
        out += line("answered by", c.answeredBy)
        out += line("sentiment", c.sentiment)
        out += line("ended by", c.disconnectionReason)
        out += line("cost", c.costUSD.map { "$\(($0 * 10_000).rounded() / 10_000)" })
        func archived(_ recording: RecordingRow) -> String {
            let size = ByteCountFormatter.string(fromByteCount: Int64(recording.size), countStyle: .file)
            let place = recordings.map { "\($0)/\(recording.file)" } ?? recording.file
            return "archived: \(place) (\([size, recording.contentType].compactMap { $0 }.joined(separator: ", ")))"
        }
        if let recording = stored.recording {
            out += line("recording", archived(recording))
        } else {
            out += line("recording", c.recordingURL.map { "not archived; link only, it may expire: \($0)" })
        }
        if let twoParty = stored.twoPartyRecording {
            out += line(twoParty.variant.rawValue, archived(twoParty))
        }
        out += line("fetched", c.fetchedAt.map(readableTime))
        return out
    }

    private static func analysis(_ call: NormalizedCall) -> String {
        guard let analysis = call.analysis else { return "Analysis: none yet\n" }
        var out = "Analysis\n"
        out += line("summary", analysis.summary)
        out += line("call", [analysis.callCompletion, analysis.callCompletionSummary].compactMap { $0 }.joined(separator: " — "))
        out += line("task", [analysis.taskCompletion, analysis.taskCompletionSummary].compactMap { $0 }.joined(separator: " — "))
        for field in call.fields {
            out += "    \(field.name) = \(field.value ?? "null")\n"
        }
        return out
    }

    private static func transcript(_ call: NormalizedCall) -> String {
        var out = "Transcript (\(call.turns.count) turn\(call.turns.count == 1 ? "" : "s"))\n"
        for turn in call.turns {
            let interrupted = turn.interrupted == true ? " (interrupted)" : ""
            out += "  [\(turn.index)] \(turn.role ?? "?")\(interrupted): \(turn.content ?? "")\n"
            if let name = turn.functionName {
                out += "      tool: \(name)(\(turn.functionArgs ?? ""))\n"
            }
            if let tools = turn.toolCalls, tools != "[]" {
                out += "      tool calls: \(tools)\n"
            }
            let l = turn.latency
            let latencies = [("latency", l?.latency), ("eou", l?.eouDelay), ("llm", l?.llmLatency), ("tts", l?.ttsLatency)]
                .compactMap { label, value in value.map { "\(label) \($0)" } }
            if !latencies.isEmpty { out += "      latency (s): \(latencies.joined(separator: ", "))\n" }
        }
        return out
    }

    /// `2025-05-19T14:15:22.230876Z` → `2025-05-19 14:15:22 UTC`.
    public static func readableTime(_ stored: String) -> String {
        guard stored.count >= 19 else { return stored }
        return stored.prefix(10) + " " + stored.dropFirst(11).prefix(8) + " UTC"
    }

    public static func readableDuration(_ ms: Int64) -> String {
        let seconds = ms / 1000
        return seconds >= 60 ? "\(seconds / 60)m \(seconds % 60)s" : "\(Double(ms) / 1000)s"
    }
}

extension JSONValue {
    /// Indented JSON text for people and `jq`, keys in their stored order.
    public var prettyText: String {
        var out = ""
        writePretty(to: &out, indent: "")
        return out
    }

    private func writePretty(to out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                item.writePretty(to: &out, indent: inner)
                out += i < items.count - 1 ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let object) where !object.members.isEmpty:
            out += "{\n"
            for (i, member) in object.members.enumerated() {
                out += inner
                JSONValue.writeQuoted(member.key, to: &out)
                out += ": "
                member.value.writePretty(to: &out, indent: inner)
                out += i < object.members.count - 1 ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            write(to: &out)
        }
    }
}
