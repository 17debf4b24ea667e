import GRDB

/// `archive list`: the calls a filter selects, newest first.
public enum CallList {
    /// Keys: `started_at, provider, call_id, direction, duration_s, status, sentiment, summary`.
    /// Calls that never started sort last. A `limit` of nil lists them all.
    public static func query(_ filter: CallFilter, limit: Int?) -> (sql: String, arguments: StatementArguments) {
        let (condition, arguments) = filter.condition()
        return ("""
            SELECT c.started_at, c.provider, c.call_id, c.direction,
                   round(c.duration_ms / 1000.0, 1) AS duration_s,
                   c.status, c.sentiment, a.summary
            FROM calls c LEFT JOIN call_analysis a ON a.call_ref = c.id
            WHERE \(condition)
            ORDER BY c.started_at DESC, c.provider, c.call_id
            LIMIT ?
            """, arguments + [limit ?? -1])
    }
}
