import GRDB

/// `archive list` and the viewer's call list: the calls a filter selects,
/// newest first (`started_at DESC, provider, call_id`; calls that never
/// started sort last).
public enum CallList {
    /// Keys of `archive list`: `started_at, provider, call_id, direction, duration_s, status, sentiment, summary`.
    /// A `limit` of nil lists them all.
    public static func query(_ filter: CallFilter, limit: Int?) -> (sql: String, arguments: StatementArguments) {
        let query = query(filter, limit: limit, .sqlite)
        return (query.sql, query.statementArguments)
    }

    /// The same list in a store's dialect. On PostgreSQL, times are read as
    /// SQLite holds them, and NULL start times sort last and keys in byte
    /// order, as on SQLite.
    static func query(_ filter: CallFilter, limit: Int?, _ dialect: TransferPlan.Dialect) -> TransferQuery {
        select(filter.condition(dialect), columns: .list, order: .newestFirst, limit: limit, dialect)
    }

    /// `archive list`'s keys, in order.
    public static let listColumns = ["started_at", "provider", "call_id", "direction", "duration_s", "status", "sentiment", "summary"]

    /// A call's place in the list's order: the cursor of keyset paging.
    public struct Position: Sendable, Equatable, Hashable {
        public var startedAt: String?
        public var provider: String
        public var callID: String

        public init(startedAt: String?, provider: String, callID: String) {
            self.startedAt = startedAt
            self.provider = provider
            self.callID = callID
        }
    }

    /// Which side of a position a page lies on.
    public enum Direction: Sendable { case after, before }

    /// The columns a query returns.
    public enum Columns: Sendable {
        /// `archive list`'s documented keys.
        case list
        /// Those, then `assistant, has_recording, worst_latency_s` for the viewer:
        /// the worst end-to-end latency of any turn (or call-level sample). Read
        /// from the tables, not the `latency_samples` view, which SQLite would
        /// materialize whole for each row.
        case detailed
    }

    /// Up to `limit` calls right after (or right before) `position` in list
    /// order, or the first page when `position` is nil; rows are always in
    /// list order. Keyset paging: each query seeks the `started_at` index
    /// instead of counting rows past an `OFFSET`, so a page deep in a million
    /// calls costs what the first one does.
    public static func page(_ filter: CallFilter, from position: Position?, _ direction: Direction = .after, limit: Int,
                            columns: Columns = .detailed, in store: ArchiveStore) throws -> ResultSet {
        try store.read { db in
            var parts: [ResultSet] = []
            for query in pageQueries(filter, from: position, direction, limit: limit, columns: columns, .sqlite)
            where parts.reduce(0, { $0 + $1.rows.count }) < limit {
                parts.append(try ResultSet.fetch(db, sql: query.sql, arguments: query.statementArguments))
            }
            return assemble(parts, limit: limit, direction)
        }
    }

    /// The same page from a store that streams rows (PostgreSQL).
    public static func page(_ filter: CallFilter, from position: Position?, _ direction: Direction = .after, limit: Int,
                            columns: Columns = .detailed, from source: some RowStream) async throws -> ResultSet {
        var parts: [ResultSet] = []
        for query in pageQueries(filter, from: position, direction, limit: limit, columns: columns, source.dialect)
        where parts.reduce(0, { $0 + $1.rows.count }) < limit {
            var part = ResultSet(columns: listColumns + (columns == .detailed ? detailColumns : []), rows: [])
            try await source.forEachRow(query) { part.rows.append($0.map(Cell.init)) }
            parts.append(part)
        }
        return assemble(parts, limit: limit, direction)
    }

    /// The statements of one page, each asking for up to `limit` rows: run in
    /// order until `limit` rows are in hand, then `assemble`d.
    static func pageQueries(_ filter: CallFilter, from position: Position?, _ direction: Direction, limit: Int,
                            columns: Columns, _ dialect: TransferPlan.Dialect) -> [TransferQuery] {
        let condition = filter.condition(dialect)
        return parts(from: position, direction, dialect).map { part in
            select(FilterCondition(sql: "\(condition.sql) AND \(part.condition.sql)", values: condition.values + part.condition.values,
                                   kinds: condition.kinds + part.condition.kinds),
                   columns: columns, order: part.order, limit: limit, dialect)
        }
    }

    /// The parts' rows as one page in list order, at most `limit` of them.
    static func assemble(_ parts: [ResultSet], limit: Int, _ direction: Direction) -> ResultSet {
        var result = ResultSet(columns: parts.first?.columns ?? [], rows: Array(parts.flatMap(\.rows).prefix(limit)))
        if direction == .before { result.rows.reverse() }
        return result
    }

    /// The keyset conditions, as parts read one after another. Row values
    /// cannot express the mixed order (`started_at` descending, the keys
    /// ascending), and the `NULL` start times that sort last are kept out of
    /// the range condition so that it stays a seek on the index.
    private static func parts(from position: Position?, _ direction: Direction, _ dialect: TransferPlan.Dialect)
        -> [(condition: FilterCondition, order: Order)] {
        func part(_ sql: String, _ values: [TransferValue], _ kinds: [ColumnKind], _ order: Order) -> (condition: FilterCondition, order: Order) {
            (FilterCondition(sql: sql, values: values, kinds: kinds), order)
        }
        let always = dialect == .sqlite ? "1" : "true"
        guard let position else {
            return direction == .after ? [part(always, [], [], .newestFirst)] : []
        }
        let keys = dialect == .sqlite ? "(c.provider, c.call_id)" : "(c.provider COLLATE \"C\", c.call_id COLLATE \"C\")"
        let key: [TransferValue] = [.text(position.provider), .text(position.callID)]
        let keyKinds: [ColumnKind] = [.text, .text]
        switch (direction, position.startedAt) {
        case (.after, let started?):
            return [part("c.started_at <= ? AND (c.started_at < ? OR \(keys) > (?, ?))", [.text(started), .text(started)] + key,
                         [.time, .time] + keyKinds, .newestFirst),
                    part("c.started_at IS NULL", [], [], .newestFirst)]
        case (.after, nil):
            return [part("c.started_at IS NULL AND \(keys) > (?, ?)", key, keyKinds, .newestFirst)]
        case (.before, let started?):
            return [part("c.started_at >= ? AND (c.started_at > ? OR \(keys) < (?, ?))", [.text(started), .text(started)] + key,
                         [.time, .time] + keyKinds, .oldestFirst)]
        case (.before, nil):
            return [part("c.started_at IS NULL AND \(keys) < (?, ?)", key, keyKinds, .oldestFirst),
                    part("c.started_at IS NOT NULL", [], [], .oldestFirst)]
        }
    }

    private enum Order {
        case newestFirst, oldestFirst

        /// SQLite sorts NULL first and text bytewise; PostgreSQL is told to.
        func sql(_ dialect: TransferPlan.Dialect) -> String {
            switch (self, dialect) {
            case (.newestFirst, .sqlite): "c.started_at DESC, c.provider, c.call_id"
            case (.oldestFirst, .sqlite): "c.started_at ASC, c.provider DESC, c.call_id DESC"
            case (.newestFirst, .postgres): "c.started_at DESC NULLS LAST, c.provider COLLATE \"C\", c.call_id COLLATE \"C\""
            case (.oldestFirst, .postgres): "c.started_at ASC NULLS FIRST, c.provider COLLATE \"C\" DESC, c.call_id COLLATE \"C\" DESC"
            }
        }
    }

    /// The viewer's columns after `listColumns`.
    static let detailColumns = ["assistant", "has_recording", "worst_latency_s"]

    /// The one text of the list's query: the condition's arguments, then the
    /// limit (nil: no limit).
    private static func select(_ condition: FilterCondition, columns: Columns, order: Order, limit: Int?,
                               _ dialect: TransferPlan.Dialect) -> TransferQuery {
        let detail = columns == .list ? "" : """
            ,
                   coalesce(c.assistant_name, c.assistant_id) AS assistant,
                   EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id) AS has_recording,
                   (SELECT max(v) FROM (SELECT l.latency AS v FROM transcript_turns t JOIN turn_latencies l ON l.turn_ref = t.id
                                        WHERE t.call_ref = c.id
                                        UNION ALL
                                        SELECT s.seconds FROM call_latency_samples s WHERE s.call_ref = c.id AND s.metric = 'latency') AS w)
                       AS worst_latency_s
            """
        let started = TransferPlan(dialect).readExpression("c.started_at", .time)
        let duration = dialect == .sqlite ? "round(c.duration_ms / 1000.0, 1)" : "round(c.duration_ms / 1000.0, 1)::float8"
        let sql = """
            SELECT \(started) AS started_at, c.provider, c.call_id, c.direction,
                   \(duration) AS duration_s,
                   c.status, c.sentiment, a.summary\(detail)
            FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
            WHERE \(condition.sql)
            ORDER BY \(order.sql(dialect))
            LIMIT ?
            """
        return TransferQuery(sql: sql, arguments: condition.values + [TransferQuery.limit(limit, dialect)],
                             argumentKinds: condition.kinds + [.integer],
                             resultKinds: [.text, .text, .text, .text, .real, .text, .text, .text]
                                 + (columns == .detailed ? [.text, .boolean, .real] : []))
    }
}
