import GRDB

/// `archive list` and the viewer's call list: the calls a filter selects,
/// newest first (`started_at DESC, provider, call_id`; calls that never
/// started sort last).
public enum CallList {
    /// Keys of `archive list`: `started_at, provider, call_id, direction, duration_s, status, sentiment, summary`.
    /// A `limit` of nil lists them all.
    public static func query(_ filter: CallFilter, limit: Int?) -> (sql: String, arguments: StatementArguments) {
        let (condition, arguments) = filter.condition()
        return (select(condition, columns: .list, order: .newestFirst), arguments + [limit ?? -1])
    }

    /// The same list in PostgreSQL's dialect: times read as SQLite holds
    /// them, NULL start times last and keys in byte order, as on SQLite.
    static func postgresQuery(_ filter: CallFilter, limit: Int?) -> TransferQuery {
        let condition = filter.condition(.postgres)
        let time = TransferPlan(.postgres).readExpression("c.started_at", .time)
        let sql = """
            SELECT \(time) AS started_at, c.provider, c.call_id, c.direction,
                   round(c.duration_ms / 1000.0, 1)::float8 AS duration_s,
                   c.status, c.sentiment, a.summary
            FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
            WHERE \(condition.sql)
            ORDER BY c.started_at DESC NULLS LAST, c.provider COLLATE "C", c.call_id COLLATE "C"
            LIMIT ?
            """
        return TransferQuery(sql: sql, arguments: condition.values + [limit.map { .integer(Int64($0)) } ?? .null],
                             argumentKinds: condition.kinds + [.integer],
                             resultKinds: [.text, .text, .text, .text, .real, .text, .text, .text])
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
        let (condition, filterArguments) = filter.condition()
        return try store.read { db in
            var result = ResultSet(columns: [], rows: [])
            for part in parts(from: position, direction) {
                let remaining = limit - result.rows.count
                guard remaining > 0 else { break }
                let sql = select("\(condition) AND \(part.condition)", columns: columns, order: part.order)
                let fetched = try ResultSet.fetch(db, sql: sql, arguments: filterArguments + part.arguments + [remaining])
                result.columns = fetched.columns
                result.rows += fetched.rows
            }
            if direction == .before { result.rows.reverse() }
            return result
        }
    }

    /// The keyset conditions, as parts read one after another. Row values
    /// cannot express the mixed order (`started_at` descending, the keys
    /// ascending), and the `NULL` start times that sort last are kept out of
    /// the range condition so that it stays a seek on the index.
    private static func parts(from position: Position?, _ direction: Direction)
        -> [(condition: String, arguments: StatementArguments, order: Order)] {
        guard let position else {
            return direction == .after ? [("1", [], .newestFirst)] : []
        }
        let key: StatementArguments = [position.provider, position.callID]
        switch (direction, position.startedAt) {
        case (.after, let started?):
            return [("c.started_at <= ? AND (c.started_at < ? OR (c.provider, c.call_id) > (?, ?))", [started, started] + key, .newestFirst),
                    ("c.started_at IS NULL", [], .newestFirst)]
        case (.after, nil):
            return [("c.started_at IS NULL AND (c.provider, c.call_id) > (?, ?)", key, .newestFirst)]
        case (.before, let started?):
            return [("c.started_at >= ? AND (c.started_at > ? OR (c.provider, c.call_id) < (?, ?))", [started, started] + key, .oldestFirst)]
        case (.before, nil):
            return [("c.started_at IS NULL AND (c.provider, c.call_id) < (?, ?)", key, .oldestFirst),
                    ("c.started_at IS NOT NULL", [], .oldestFirst)]
        }
    }

    private enum Order {
        case newestFirst, oldestFirst

        var sql: String {
            switch self {
            case .newestFirst: "c.started_at DESC, c.provider, c.call_id"
            case .oldestFirst: "c.started_at ASC, c.provider DESC, c.call_id DESC"
            }
        }
    }

    /// The one text of the list's query; the caller binds the filter's
    /// arguments, its own, then the limit.
    private static func select(_ condition: String, columns: Columns, order: Order) -> String {
        let detail = columns == .list ? "" : """
            ,
                   coalesce(c.assistant_name, c.assistant_id) AS assistant,
                   EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id) AS has_recording,
                   (SELECT max(v) FROM (SELECT l.latency AS v FROM transcript_turns t JOIN turn_latencies l ON l.turn_ref = t.id
                                        WHERE t.call_ref = c.id
                                        UNION ALL
                                        SELECT s.seconds FROM call_latency_samples s WHERE s.call_ref = c.id AND s.metric = 'latency'))
                       AS worst_latency_s
            """
        return """
            SELECT c.started_at, c.provider, c.call_id, c.direction,
                   round(c.duration_ms / 1000.0, 1) AS duration_s,
                   c.status, c.sentiment, a.summary\(detail)
            FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
            WHERE \(condition)
            ORDER BY \(order.sql)
            LIMIT ?
            """
    }
}
