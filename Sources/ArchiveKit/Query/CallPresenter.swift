import Foundation
import GRDB

/// Renders a `StoredCall` for people (`show`) and for programs (`show --json`).
public enum CallPresenter {
    static let booleanColumns: Set<String> = ["recording_enabled", "is_billed", "is_final", "interrupted"]
    static let jsonColumns: Set<String> = ["metadata", "variables", "tool_calls", "words", "extra"]
    static let latencyColumns = ["latency", "eou_delay", "llm_latency", "tts_latency"]

    // MARK: JSON

    /// The normalized call as one JSON document. Keys are the schema's column
    /// names; JSON columns are embedded as JSON, 0/1 flags as booleans.
    public static func json(_ call: StoredCall) -> JSONValue {
        var members = call.columns.map { (key: $0.name, value: value($0.name, $0.value)) }
        if let analysis = call.analysis {
            members.append(("analysis", .object(JSONObject(analysis.map { ($0.name, value($0.name, $0.value)) }))))
        } else {
            members.append(("analysis", .null))
        }
        members.append(("recording", call.recording.map { .object(JSONObject($0.map { ($0.name, value($0.name, $0.value)) })) } ?? .null))
        members.append(("post_analysis_fields", .array(call.fields.map {
            .object(JSONObject([("name", .string($0.name)), ("value", $0.value.map(JSONValue.string) ?? .null)]))
        })))
        members.append(("turns", .array(call.turns.map { turn in
            let latency = turn.filter { latencyColumns.contains($0.name) }
            var out = turn.filter { !latencyColumns.contains($0.name) }.map { (key: $0.name, value: value($0.name, $0.value)) }
            out.append(("latency", latency.allSatisfy { $0.value.isNull }
                ? .null : .object(JSONObject(latency.map { ($0.name, value($0.name, $0.value)) }))))
            return .object(JSONObject(out))
        })))
        return .object(JSONObject(members))
    }

    static func value(_ column: String, _ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: return .null
        case .int64(let i): return booleanColumns.contains(column) ? .bool(i != 0) : .number(String(i))
        case .double(let d): return .number(d.isFinite ? "\(d)" : "null")
        case .string(let s):
            if jsonColumns.contains(column), let parsed = try? JSONParser.parse(s) { return parsed }
            return .string(s)
        case .blob(let data): return .string(data.base64EncodedString())
        }
    }

    // MARK: Text

    /// A terminal-friendly view: header, analysis, then the transcript turn by turn.
    /// `recordings` is the recordings directory, to say where an archived recording is.
    public static func text(_ call: StoredCall, recordings: String? = nil) -> String {
        let c = strings(call.columns)
        let provider = Provider(rawValue: c["provider"] ?? "")?.displayName ?? c["provider"] ?? "?"
        let mayChange = c["is_final"] == "1" ? "" : ", may still change"
        var out = "\(provider) call \(c["call_id"] ?? "?")  [\(c["status"] ?? "status unknown")\(mayChange)]\n"
        func line(_ label: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            out += "  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value + "\n"
        }
        line("direction", [c["direction"], c["call_type"].map { "(\($0))" }].compactMap { $0 }.joined(separator: " "))
        if c["from_number"] != nil || c["to_number"] != nil {
            line("numbers", "\(c["from_number"] ?? "?") → \(c["to_number"] ?? "?")")
        }
        line("assistant", c["assistant_name"].map { name in c["assistant_id"].map { "\(name) (\($0))" } ?? name } ?? c["assistant_id"])
        line("voice", c["voice_name"])
        line("thread", c["thread_id"])
        line("started", c["started_at"].map(readableTime))
        line("ended", c["ended_at"].map(readableTime))
        line("scheduled", c["scheduled_for"].map(readableTime))
        line("duration", c["duration_ms"].flatMap { Int64($0) }.map(readableDuration))
        line("answered by", c["answered_by"])
        line("sentiment", c["sentiment"])
        line("ended by", c["disconnection_reason"])
        if let recording = call.recording.map(strings), let file = recording["file"] {
            let size = recording["size_bytes"].flatMap { Int64($0) }.map { ByteCountFormatter.string(fromByteCount: $0, countStyle: .file) }
            let place = recordings.map { "\($0)/\(file)" } ?? file
            line("recording", "archived: \(place) (\([size, recording["content_type"]].compactMap { $0 }.joined(separator: ", ")))")
        } else {
            line("recording", c["recording_url"].map { "not archived; link only, it may expire: \($0)" })
        }
        line("fetched", c["fetched_at"].map(readableTime))

        if let analysis = call.analysis.map(strings) {
            out += "\nAnalysis\n"
            line("summary", analysis["summary"])
            line("call", [analysis["call_completion"], analysis["call_completion_summary"]].compactMap { $0 }.joined(separator: " — "))
            line("task", [analysis["task_completion"], analysis["task_completion_summary"]].compactMap { $0 }.joined(separator: " — "))
            for field in call.fields {
                out += "    \(field.name) = \(field.value ?? "null")\n"
            }
        } else {
            out += "\nAnalysis: none yet\n"
        }

        out += "\nTranscript (\(call.turns.count) turn\(call.turns.count == 1 ? "" : "s"))\n"
        for turn in call.turns.map(strings) {
            let interrupted = turn["interrupted"] == "1" ? " (interrupted)" : ""
            out += "  [\(turn["turn_index"] ?? "?")] \(turn["role"] ?? "?")\(interrupted): \(turn["content"] ?? "")\n"
            if let name = turn["function_name"] {
                out += "      tool: \(name)(\(turn["function_args"] ?? ""))\n"
            }
            if let tools = turn["tool_calls"], tools != "[]" {
                out += "      tool calls: \(tools)\n"
            }
            let latencies = [("latency", "latency"), ("eou", "eou_delay"), ("llm", "llm_latency"), ("tts", "tts_latency")]
                .compactMap { label, column in turn[column].map { "\(label) \($0)" } }
            if !latencies.isEmpty { out += "      latency (s): \(latencies.joined(separator: ", "))\n" }
        }
        return out
    }

    /// A row's non-null values as text, the one place `text` reads `DatabaseValue`s.
    static func strings(_ columns: [(name: String, value: DatabaseValue)]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in columns {
            switch value.storage {
            case .null: continue
            case .int64(let i): out[name] = String(i)
            case .double(let d): out[name] = "\(d)"
            case .string(let s): out[name] = s
            case .blob(let data): out[name] = "<\(data.count) bytes>"
            }
        }
        return out
    }

    /// `2025-05-19T14:15:22.230876Z` → `2025-05-19 14:15:22 UTC`.
    static func readableTime(_ stored: String) -> String {
        guard stored.count >= 19 else { return stored }
        return stored.prefix(10) + " " + stored.dropFirst(11).prefix(8) + " UTC"
    }

    static func readableDuration(_ ms: Int64) -> String {
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
