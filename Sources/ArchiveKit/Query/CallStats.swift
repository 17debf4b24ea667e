import GRDB

/// `archive stats`: counts, completion and interruption rates, and exact
/// duration and latency percentiles over the calls a filter selects. Latency
/// is every sample the `latency_samples` view shows (read from its two tables
/// directly): tied to a turn (PureTalk) or from a call-level series (Retell,
/// Vapi), and each metric says how many of its samples came from which.
public enum CallStats {
    /// What to break the figures down by.
    public enum Grouping: String, CaseIterable, Sendable {
        case assistant, provider, day, direction

        func expression(_ dialect: TransferPlan.Dialect) -> String {
            switch self {
            case .assistant:
                "coalesce(c.assistant_name || ' (' || c.assistant_id || ')', c.assistant_id, c.assistant_name, '(none)')"
            case .provider: "c.provider"
            case .day where dialect == .postgres:
                "coalesce(to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '(not started)')"
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
        /// Per metric of `latency_samples`, in `latencyUnit`: `latencyMetrics` first, then others by name.
        public var latency: [LatencyFigures]
    }

    /// One latency metric's percentiles over all its samples, and where they came from.
    public struct LatencyFigures: Sendable, Equatable {
        public var metric: String
        public var percentiles: Percentiles
        /// Samples from `turn_latencies` (one per turn that has the metric).
        public var fromTurns: Int
        /// Samples from `call_latency_samples` (a vendor's per-call series).
        public var fromCalls: Int
    }

    public static let dimensions = ["status", "sentiment", "direction", "answered_by"]
    /// The archive's latency vocabulary (migration 0006); other metrics (Retell's own keys) follow these.
    public static let latencyMetrics = ["latency", "eou_delay", "asr_latency", "llm_latency", "tts_latency"]
    /// Retell and Vapi send milliseconds, converted on the way in; PureTalk states no unit, and its example reads as seconds.
    public static let latencyUnit = "s"

    /// One group per key (a single `all` group without `by`), in key order.
    ///
    /// Three scans, each table read once in storage order with no join to
    /// sort: the filtered calls (which also give each call's group), the
    /// turns with their latencies, and the call-level latency series. Exact
    /// percentiles need every value, so each metric's values are held as
    /// `Double`s (8 bytes a sample) and sorted here; SQLite's window functions,
    /// used before, sorted the same values more slowly (issue 15).
    public static func compute(_ filter: CallFilter, by grouping: Grouping?, in store: ArchiveStore) throws -> [Group] {
        let scans = Scans(filter, by: grouping, .sqlite)
        return try store.read { db -> [Group] in
            var tally = Tally(maxCallID: try Int64.fetchOne(db, sql: Scans.maxCallID.sql) ?? 0)
            let calls = try Row.fetchCursor(db, sql: scans.calls.sql, arguments: scans.calls.statementArguments)
            while let row = try calls.next() { tally.addCall(row) }
            let turns = try Row.fetchCursor(db, sql: Scans.turns.sql)
            while let row = try turns.next() { tally.addTurn(row) }
            let samples = try Row.fetchCursor(db, sql: Scans.callSamples.sql)
            while let row = try samples.next() { tally.addCallSample(row) }
            return tally.groups()
        }
    }

    /// The same figures from a store that streams rows (PostgreSQL): the same
    /// three scans, tallied by the same code, so both stores give the same numbers.
    public static func compute(_ filter: CallFilter, by grouping: Grouping?, from source: some RowStream) async throws -> [Group] {
        let scans = Scans(filter, by: grouping, source.dialect)
        let maxID = try await source.rows(Scans.maxCallID)
        var tally = Tally(maxCallID: maxID.first.flatMap { if case .integer(let id) = $0[0] { id } else { nil } } ?? 0)
        try await source.forEachRow(scans.calls) { tally.addCall($0) }
        try await source.forEachRow(Scans.turns) { tally.addTurn($0) }
        try await source.forEachRow(Scans.callSamples) { tally.addCallSample($0) }
        return tally.groups()
    }

    /// The statements of the three scans, with their columns' kinds.
    struct Scans {
        static let maxCallID = TransferQuery(sql: "SELECT max(id) FROM calls", arguments: [], argumentKinds: [], resultKinds: [.integer])
        /// Turns and their latency rows share a key (`turn_ref` is the turn's `id`),
        /// so SQLite's join walks both in the same order.
        static let turns = TransferQuery(sql: """
            SELECT t.call_ref, t.interrupted, l.latency, l.eou_delay, l.llm_latency, l.tts_latency
            FROM transcript_turns t LEFT JOIN turn_latencies l ON l.turn_ref = t.id
            """, arguments: [], argumentKinds: [], resultKinds: [.integer, .boolean, .real, .real, .real, .real])
        static let callSamples = TransferQuery(sql: "SELECT call_ref, metric, seconds FROM call_latency_samples",
                                               arguments: [], argumentKinds: [], resultKinds: [.integer, .text, .real])
        /// The filtered calls: id, group key, duration, task and call completion, then `dimensions`.
        let calls: TransferQuery

        init(_ filter: CallFilter, by grouping: Grouping?, _ dialect: TransferPlan.Dialect) {
            let condition = filter.condition(dialect)
            func complete(_ column: String) -> String {
                dialect == .sqlite ? "trim(\(column)) = 'complete' COLLATE NOCASE" : "lower(trim(\(column))) = 'complete'"
            }
            let dimensions = CallStats.dimensions.map { "lower(c.\($0))" }.joined(separator: ", ")
            calls = TransferQuery(sql: """
                SELECT c.id, \(grouping?.expression(dialect) ?? "'all'"), c.duration_ms,
                       \(complete("a.task_completion")), \(complete("a.call_completion")),
                       \(dimensions)
                FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id WHERE \(condition.sql)
                """, arguments: condition.values, argumentKinds: condition.kinds,
                resultKinds: [.integer, .text, .integer, .boolean, .boolean] + CallStats.dimensions.map { _ in .text })
        }
    }

    /// Nearest-rank p50/p90/p99 of `values`, which it sorts; nil when empty.
    static func percentiles(_ values: inout [Double]) -> Percentiles? {
        guard !values.isEmpty else { return nil }
        values.sort()
        func rank(_ p: Int) -> Double { values[(values.count * p + 99) / 100 - 1] }
        return Percentiles(count: values.count, p50: rank(50), p90: rank(90), p99: rank(99))
    }

    /// The running figures of one `compute`, group by group.
    private struct Tally {
        struct Accumulator {
            var key: String
            var calls = 0
            var counts: [[String?: Int]] = Array(repeating: [:], count: CallStats.dimensions.count)
            var durations: [Double] = []
            var taskDone = 0, taskKnown = 0, callDone = 0, callKnown = 0
            var turnsInterrupted = 0, turnsFlagged = 0, callsInterrupted = 0, callsFlagged = 0
            /// Samples from turns, by `Tally.turnMetrics` (a slot each: no hashing per sample).
            var turnSamples: [[Double]] = Array(repeating: [], count: Tally.turnMetrics.count)
            /// Samples from call-level series, by metric.
            var callSamples: [String: [Double]] = [:]

            /// Per metric found, its samples and how many came from turns and from
            /// call-level series. Moves them out, so they are sorted without a copy.
            mutating func takeLatency() -> [String: (values: [Double], turns: Int, calls: Int)] {
                var all: [String: (values: [Double], turns: Int, calls: Int)] = [:]
                for m in turnSamples.indices where !turnSamples[m].isEmpty {
                    all[Tally.turnMetrics[m]] = (turnSamples[m], turnSamples[m].count, 0)
                    turnSamples[m] = []
                }
                for (metric, values) in callSamples {
                    all[metric, default: ([], 0, 0)].values += values
                    all[metric]!.calls = values.count
                }
                callSamples = [:]
                return all
            }
        }

        /// The metrics of `turn_latencies`, in its column order.
        static let turnMetrics = ["latency", "eou_delay", "llm_latency", "tts_latency"]

        var accumulators: [Accumulator] = []
        /// Each call's group, by the call's row id (SQLite's rowids are dense: calls are not
        /// deleted; PostgreSQL's identity has gaps where an upsert updated); -1 for a call the filter leaves out.
        var groupOf: [Int32]

        /// Changes a group in place (no copy of its value arrays).
        mutating func update(_ g: Int, _ change: (inout Accumulator) -> Void) {
            change(&accumulators[g])
        }

        func group(ofCall id: Int64) -> Int? {
            guard id >= 0, id < groupOf.count else { return nil }
            let g = groupOf[Int(id)]
            return g < 0 ? nil : Int(g)
        }

        init(maxCallID: Int64) {
            groupOf = Array(repeating: -1, count: Int(max(0, maxCallID)) + 1)
            flags = Array(repeating: 0, count: groupOf.count)
        }

        /// Group keys seen so far, and their slot in `accumulators`.
        private var index: [String: Int32] = [:]
        /// Per call: 1 a turn has an `interrupted` flag, 2 a turn was interrupted.
        private var flags: [UInt8]

        /// A call the filter selects (a row of `Scans.calls`): its group, counts, completion and duration.
        mutating func addCall(_ row: some TallyRow) {
            guard let id = row.integer(0), id >= 0, id < groupOf.count else { return }
            let key = row.text(1) ?? ""
            let g: Int32
            if let known = index[key] {
                g = known
            } else {
                g = Int32(accumulators.count)
                index[key] = g
                accumulators.append(Accumulator(key: key))
            }
            groupOf[Int(id)] = g
            update(Int(g)) { group in
                group.calls += 1
                if let ms = row.integer(2) { group.durations.append(Double(ms) / 1000) }
                if let done = row.integer(3) { group.taskKnown += 1; if done != 0 { group.taskDone += 1 } }
                if let done = row.integer(4) { group.callKnown += 1; if done != 0 { group.callDone += 1 } }
                for d in 0..<CallStats.dimensions.count { group.counts[d][row.text(5 + d), default: 0] += 1 }
            }
        }

        /// A turn with its latencies (a row of `Scans.turns`).
        mutating func addTurn(_ row: some TallyRow) {
            guard let callRef = row.integer(0), let g = group(ofCall: callRef) else { return }
            if let interrupted = row.integer(1) {
                accumulators[g].turnsFlagged += 1
                flags[Int(callRef)] |= 1
                if interrupted != 0 { accumulators[g].turnsInterrupted += 1; flags[Int(callRef)] |= 2 }
            }
            for m in 0..<Self.turnMetrics.count {
                if let value = row.real(2 + m) { accumulators[g].turnSamples[m].append(value) }
            }
        }

        /// A sample of a per-call latency series (a row of `Scans.callSamples`).
        mutating func addCallSample(_ row: some TallyRow) {
            guard let callRef = row.integer(0), let g = group(ofCall: callRef), let metric = row.text(1), let seconds = row.real(2) else { return }
            accumulators[g].callSamples[metric, default: []].append(seconds)
        }

        /// Calls with flagged turns, and those with an interrupted one.
        private mutating func countInterruptedCalls() {
            for (id, flag) in flags.enumerated() where flag != 0 {
                guard let g = group(ofCall: Int64(id)) else { continue }
                accumulators[g].callsFlagged += 1
                if flag & 2 != 0 { accumulators[g].callsInterrupted += 1 }
            }
            flags = []
        }

        /// The finished groups, in the key order SQLite's `ORDER BY` gives (bytewise).
        mutating func groups() -> [Group] {
            countInterruptedCalls()
            let order = accumulators.indices.sorted {
                accumulators[$0].key.utf8.lexicographicallyPrecedes(accumulators[$1].key.utf8)
            }
            return order.map { i in
                var samples = accumulators[i].takeLatency()
                var durations = accumulators[i].durations
                accumulators[i].durations = []
                let a = accumulators[i]
                let counts = CallStats.dimensions.enumerated().map { d, dimension in
                    (dimension, a.counts[d].map { Count(value: $0.key, calls: $0.value) }.sorted(by: Self.mostFrequentFirst))
                }
                let found = Set(samples.keys)
                let metrics = latencyMetrics.filter(found.contains)
                    + found.subtracting(latencyMetrics).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                let latency = metrics.compactMap { metric -> LatencyFigures? in
                    guard let p = CallStats.percentiles(&samples[metric]!.values), let entry = samples[metric] else { return nil }
                    return LatencyFigures(metric: metric, percentiles: p, fromTurns: entry.turns, fromCalls: entry.calls)
                }
                return Group(key: a.key, calls: a.calls, counts: counts, duration: CallStats.percentiles(&durations),
                             taskCompletion: Rate(numerator: a.taskDone, denominator: a.taskKnown),
                             callCompletion: Rate(numerator: a.callDone, denominator: a.callKnown),
                             interruptedTurns: Rate(numerator: a.turnsInterrupted, denominator: a.turnsFlagged),
                             interruptedCalls: Rate(numerator: a.callsInterrupted, denominator: a.callsFlagged),
                             latency: latency)
            }
        }

        /// Most calls first; ties by value, no value first, as SQLite orders NULL.
        static func mostFrequentFirst(_ a: Count, _ b: Count) -> Bool {
            if a.calls != b.calls { return a.calls > b.calls }
            switch (a.value, b.value) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?): return x.utf8.lexicographicallyPrecedes(y.utf8)
            }
        }
    }
}

/// A row the stats tally reads by position: GRDB's, or a streamed store's values.
protocol TallyRow {
    func integer(_ i: Int) -> Int64?
    func real(_ i: Int) -> Double?
    func text(_ i: Int) -> String?
}

extension Row: TallyRow {
    func integer(_ i: Int) -> Int64? { self[i] }
    func real(_ i: Int) -> Double? { self[i] }
    func text(_ i: Int) -> String? { self[i] }
}

extension Array: TallyRow where Element == TransferValue {
    func integer(_ i: Int) -> Int64? {
        if case .integer(let v) = self[i] { v } else { nil }
    }

    func real(_ i: Int) -> Double? {
        switch self[i] {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }

    func text(_ i: Int) -> String? {
        if case .text(let v) = self[i] { v } else { nil }
    }
}
