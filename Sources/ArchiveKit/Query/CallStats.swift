import GRDB

/// `archive stats`: counts, completion and interruption rates, and exact
/// duration and turn-latency percentiles over the calls a filter selects.
public enum CallStats {
    /// What to break the figures down by.
    public enum Grouping: String, CaseIterable, Sendable {
        case assistant, provider, day, direction

        var expression: String {
            switch self {
            case .assistant:
                "coalesce(c.assistant_name || ' (' || c.assistant_id || ')', c.assistant_id, c.assistant_name, '(none)')"
            case .provider: "c.provider"
            case .day: "coalesce(substr(c.started_at, 1, 10), '(not started)')"
            case .direction: "coalesce(c.direction, '(unknown)')"
            }
        }
    }

    /// Nearest-rank percentiles: the p-th percentile of n sorted values is the
    /// value at rank ⌈p·n/100⌉, so it is always one of the data's own values.
    public struct Percentiles: Sendable, Equatable {
        public var count: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
    }

    /// `numerator / denominator`, where the denominator counts calls (or
    /// turns) for which the vendor said anything at all.
    public struct Rate: Sendable, Equatable {
        public var numerator: Int
        public var denominator: Int
        public var value: Double? { denominator == 0 ? nil : Double(numerator) / Double(denominator) }
    }

    public struct Count: Sendable, Equatable {
        public var value: String?
        public var calls: Int
    }

    public struct Group: Sendable {
        public var key: String
        public var calls: Int
        /// By dimension (`status`, `sentiment`, `direction`, `answered_by`), lowercased, most frequent first.
        public var counts: [(dimension: String, values: [Count])]
        /// Duration in seconds.
        public var duration: Percentiles?
        public var taskCompletion: Rate
        public var callCompletion: Rate
        /// Share of turns with an `interrupted` flag that were interrupted.
        public var interruptedTurns: Rate
        /// Share of calls with turns in which at least one turn was interrupted.
        public var interruptedCalls: Rate
        /// Per metric of `turn_latencies`, in `latencyUnit`.
        public var latency: [(metric: String, percentiles: Percentiles)]
    }

    public static let dimensions = ["status", "sentiment", "direction", "answered_by"]
    public static let latencyMetrics = ["latency", "eou_delay", "llm_latency", "tts_latency"]
    /// The vendors do not state the unit; PureTalk's reference example reads as seconds.
    public static let latencyUnit = "s"

    /// One group per key (a single `all` group without `by`), in key order.
    public static func compute(_ filter: CallFilter, by grouping: Grouping?, in store: ArchiveStore) throws(StoreError) -> [Group] {
        let (condition, arguments) = filter.condition()
        let key = grouping?.expression ?? "'all'"
        let calls = "calls c LEFT JOIN call_analysis a ON a.call_ref = c.id"
        return try store.mapped {
            try store.writer.read { db -> [Group] in
                var groups: [Group] = []
                var index: [String: Int] = [:]
                let totals = try Row.fetchAll(db, sql: """
                    SELECT \(key) AS g, count(*) AS calls,
                           count(*) FILTER (WHERE trim(a.task_completion) = 'complete' COLLATE NOCASE) AS task_done,
                           count(a.task_completion) AS task_known,
                           count(*) FILTER (WHERE trim(a.call_completion) = 'complete' COLLATE NOCASE) AS call_done,
                           count(a.call_completion) AS call_known
                    FROM \(calls) WHERE \(condition) GROUP BY g ORDER BY g
                    """, arguments: arguments)
                for row in totals {
                    let g: String = row["g"]
                    index[g] = groups.count
                    groups.append(Group(
                        key: g, calls: row["calls"], counts: [], duration: nil,
                        taskCompletion: Rate(numerator: row["task_done"], denominator: row["task_known"]),
                        callCompletion: Rate(numerator: row["call_done"], denominator: row["call_known"]),
                        interruptedTurns: Rate(numerator: 0, denominator: 0),
                        interruptedCalls: Rate(numerator: 0, denominator: 0), latency: []))
                }
                for dimension in dimensions {
                    var values: [String: [Count]] = [:]
                    for row in try Row.fetchAll(db, sql: """
                        SELECT \(key) AS g, lower(c.\(dimension)) AS v, count(*) AS n
                        FROM \(calls) WHERE \(condition) GROUP BY g, v ORDER BY g, n DESC, v
                        """, arguments: arguments) {
                        values[row["g"], default: []].append(Count(value: row["v"], calls: row["n"]))
                    }
                    for (g, counts) in values { if let i = index[g] { groups[i].counts.append((dimension, counts)) } }
                }
                for row in try Row.fetchAll(db, sql: """
                    SELECT g, sum(interrupted) AS turns_interrupted, sum(flagged) AS turns_flagged,
                           count(*) FILTER (WHERE interrupted > 0) AS calls_interrupted,
                           count(*) FILTER (WHERE flagged > 0) AS calls_flagged
                    FROM (SELECT \(key) AS g, sum(t.interrupted) AS interrupted, count(t.interrupted) AS flagged
                          FROM \(calls) JOIN transcript_turns t ON t.call_ref = c.id
                          WHERE \(condition) GROUP BY c.id)
                    GROUP BY g
                    """, arguments: arguments) {
                    guard let i = index[row["g"]] else { continue }
                    groups[i].interruptedTurns = Rate(numerator: row["turns_interrupted"] ?? 0, denominator: row["turns_flagged"] ?? 0)
                    groups[i].interruptedCalls = Rate(numerator: row["calls_interrupted"], denominator: row["calls_flagged"])
                }
                for (g, p) in try percentiles(db, of: "c.duration_ms / 1000.0", key: key, from: calls,
                                              condition: condition, arguments: arguments) {
                    if let i = index[g] { groups[i].duration = p }
                }
                let turns = "\(calls) JOIN transcript_turns t ON t.call_ref = c.id JOIN turn_latencies l ON l.turn_ref = t.id"
                for metric in latencyMetrics {
                    for (g, p) in try percentiles(db, of: "l.\(metric)", key: key, from: turns,
                                                  condition: condition, arguments: arguments) {
                        if let i = index[g] { groups[i].latency.append((metric, p)) }
                    }
                }
                return groups
            }
        }
    }

    /// Exact nearest-rank p50/p90/p99 of `value` per group, computed in SQLite
    /// with window functions so no value list is held in memory here.
    static func percentiles(_ db: Database, of value: String, key: String, from source: String,
                            condition: String, arguments: StatementArguments) throws -> [(String, Percentiles)] {
        func rank(_ p: Int) -> String { "min(CASE WHEN rn = (n * \(p) + 99) / 100 THEN x END)" }
        return try Row.fetchAll(db, sql: """
            WITH v AS (SELECT \(key) AS g, \(value) AS x FROM \(source) WHERE \(condition) AND \(value) IS NOT NULL),
                 r AS (SELECT g, x, row_number() OVER (PARTITION BY g ORDER BY x) AS rn,
                              count(*) OVER (PARTITION BY g) AS n FROM v)
            SELECT g, n, \(rank(50)) AS p50, \(rank(90)) AS p90, \(rank(99)) AS p99
            FROM r GROUP BY g ORDER BY g
            """, arguments: arguments).map { row in
            (row["g"], Percentiles(count: row["n"], p50: row["p50"], p90: row["p90"], p99: row["p99"]))
        }
    }
}
