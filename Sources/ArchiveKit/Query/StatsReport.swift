/// Renders `CallStats` groups: a JSON document per group (`json`, `ndjson`),
/// the same document flattened to `group, metric, value` rows (`csv`, `tsv`),
/// or a report for people (`table`).
public enum StatsReport {
    /// One group's figures. Keys are documented in README.md ("archive stats").
    public static func json(_ group: CallStats.Group, by grouping: CallStats.Grouping?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("group_by", grouping.map { .string($0.rawValue) } ?? .null),
            ("group", .string(group.key)),
            ("calls", int(group.calls)),
        ]
        for dimension in CallStats.dimensions {
            let counts = group.counts.first { $0.dimension == dimension }?.values ?? []
            members.append((dimension, .object(JSONObject(counts.map { ($0.value ?? "(none)", int($0.calls)) }))))
        }
        members.append(("duration_s", percentiles(group.duration)))
        members.append(("task_completion", rate(group.taskCompletion, "complete")))
        members.append(("call_completion", rate(group.callCompletion, "complete")))
        members.append(("interrupted_turns", rate(group.interruptedTurns, "interrupted")))
        members.append(("interrupted_calls", rate(group.interruptedCalls, "interrupted")))
        var latency: [(String, JSONValue)] = [("unit", .string(CallStats.latencyUnit))]
        let others = group.latency.map(\.metric).filter { !CallStats.latencyMetrics.contains($0) }
        for metric in CallStats.latencyMetrics + others {
            guard let figures = group.latency.first(where: { $0.metric == metric }),
                  case .object(var object) = percentiles(figures.percentiles)
            else {
                latency.append((metric, .null))
                continue
            }
            object.members += [("from_turns", int(figures.fromTurns)), ("from_calls", int(figures.fromCalls))]
            latency.append((metric, .object(object)))
        }
        members.append(("latency", .object(JSONObject(latency))))
        return .object(JSONObject(members))
    }

    /// Every figure as a `group, metric, value` row; metric names are the
    /// JSON document's paths joined by dots, such as `latency.llm_latency.p90`.
    public static func rows(_ groups: [CallStats.Group], by grouping: CallStats.Grouping?) -> ResultSet {
        var rows: [[Cell]] = []
        for group in groups {
            guard case .object(let document) = json(group, by: grouping) else { continue }
            for member in document.members where member.key != "group" && member.key != "group_by" {
                flatten(member.value, path: member.key) { path, value in
                    rows.append([.text(group.key), .text(path), value])
                }
            }
        }
        return ResultSet(columns: ["group", "metric", "value"], rows: rows)
    }

    /// A report for people.
    public static func text(_ groups: [CallStats.Group], by grouping: CallStats.Grouping?) -> String {
        guard !groups.isEmpty else { return "No calls match.\n" }
        var out = ""
        for group in groups {
            let label = grouping.map { "\($0.rawValue) \(group.key)" } ?? "All calls"
            out += "\(label): \(group.calls) call\(group.calls == 1 ? "" : "s")\n"
            func line(_ name: String, _ value: String) {
                out += "  " + name.padding(toLength: 13, withPad: " ", startingAt: 0) + value + "\n"
            }
            for dimension in CallStats.dimensions {
                let counts = group.counts.first { $0.dimension == dimension }?.values ?? []
                line(dimension.replacingOccurrences(of: "_", with: " "),
                     counts.map { "\($0.value ?? "(none)") \($0.calls)" }.joined(separator: " · "))
            }
            line("duration", group.duration.map { "p50 \(number($0.p50)) s · p90 \(number($0.p90)) s · p99 \(number($0.p99)) s (of \($0.count))" } ?? "–")
            line("task done", percent(group.taskCompletion))
            line("call done", percent(group.callCompletion))
            line("interrupted", "\(percent(group.interruptedTurns)) of turns · \(percent(group.interruptedCalls)) of calls")
            if group.latency.isEmpty {
                line("latency", "no latency samples")
            } else {
                let columns = ["samples", "of turns", "of calls", "p50", "p90", "p99"]
                out += "  " + "latency (\(CallStats.latencyUnit))".padding(toLength: 27, withPad: " ", startingAt: 0)
                    + columns.map { String(repeating: " ", count: 9 - $0.count) + $0 }.joined() + "\n"
                for figures in group.latency {
                    let p = figures.percentiles
                    out += "    " + figures.metric.padding(toLength: 25, withPad: " ", startingAt: 0)
                        + [String(p.count), String(figures.fromTurns), String(figures.fromCalls), number(p.p50), number(p.p90), number(p.p99)]
                            .map { String(repeating: " ", count: max(0, 9 - $0.count)) + $0 }.joined()
                        + "\n"
                }
            }
            out += "\n"
        }
        return out
    }

    // MARK: Pieces

    private static func int(_ n: Int) -> JSONValue { .number(String(n)) }

    private static func percentiles(_ p: CallStats.Percentiles?) -> JSONValue {
        guard let p else { return .null }
        return .object(JSONObject([("count", int(p.count)), ("p50", real(p.p50)), ("p90", real(p.p90)), ("p99", real(p.p99))]))
    }

    private static func rate(_ r: CallStats.Rate, _ name: String) -> JSONValue {
        .object(JSONObject([("rate", r.value.map(real) ?? .null), (name, int(r.numerator)), ("of", int(r.denominator))]))
    }

    private static func real(_ d: Double) -> JSONValue { Cell.real(d).json }

    private static func number(_ d: Double) -> String {
        let rounded = (d * 1000).rounded() / 1000
        return rounded.formatted
    }

    private static func percent(_ r: CallStats.Rate) -> String {
        guard let value = r.value else { return "–" }
        return "\(((value * 1000).rounded() / 10).formatted)% (\(r.numerator) of \(r.denominator))"
    }

    private static func flatten(_ value: JSONValue, path: String, _ emit: (String, Cell) -> Void) {
        switch value {
        case .object(let object):
            for member in object.members { flatten(member.value, path: path + "." + member.key, emit) }
        case .null: emit(path, .null)
        case .number(let n): emit(path, Int64(n).map(Cell.integer) ?? Double(n).map(Cell.real) ?? .text(n))
        case .string(let s): emit(path, .text(s))
        case .bool(let b): emit(path, .integer(b ? 1 : 0))
        case .array: emit(path, .text(value.jsonText))
        }
    }
}
