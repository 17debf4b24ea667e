import GRDB

/// `archive search`: full-text search over transcript turns and analysis
/// summaries through the FTS5 indexes of migration 0002, best match first.
public enum CallSearch {
    /// How a match is marked in `snippet`.
    public static let markers = (open: "[", close: "]")

    /// Keys: `provider, call_id, started_at, role, turn_index, snippet, score`.
    /// `role` is the turn's role, or `analysis` for a match in the call's
    /// analysis (then `turn_index` is null). `score` is FTS5's bm25 negated:
    /// higher is better.
    ///
    /// - Parameter literal: search for `query` as one exact phrase instead of
    ///   reading it as FTS5 query syntax.
    public static func run(_ query: String, literal: Bool = false, filter: CallFilter, limit: Int,
                           in store: ArchiveStore) throws -> ResultSet {
        let match = literal ? phrase(query) : query
        let (condition, filterArguments) = filter.condition()
        let snippet = "'\(markers.open)', '\(markers.close)', '…', 12"
        let sql = """
            SELECT provider, call_id, started_at, role, turn_index, snippet, round(-bm25, 4) AS score FROM (
                SELECT c.provider, c.call_id, c.started_at, t.role, t.turn_index,
                       snippet(transcript_turns_fts, 0, \(snippet)) AS snippet,
                       bm25(transcript_turns_fts) AS bm25
                FROM transcript_turns_fts
                JOIN transcript_turns t ON t.id = transcript_turns_fts.rowid
                JOIN calls c ON c.id = t.call_ref
                LEFT JOIN call_analysis a ON a.call_ref = c.id
                WHERE transcript_turns_fts MATCH ? AND \(condition)
                UNION ALL
                SELECT c.provider, c.call_id, c.started_at, 'analysis', NULL,
                       snippet(call_analysis_fts, -1, \(snippet)),
                       bm25(call_analysis_fts)
                FROM call_analysis_fts
                JOIN call_analysis a ON a.call_ref = call_analysis_fts.rowid
                JOIN calls c ON c.id = a.call_ref
                WHERE call_analysis_fts MATCH ? AND \(condition)
            )
            ORDER BY bm25, started_at DESC, provider, call_id, turn_index
            LIMIT ?
            """
        let arguments: StatementArguments = [match] + filterArguments + [match] + filterArguments + [limit]
        return try store.query { db in
            do {
                return try ResultSet.fetch(db, sql: sql, arguments: arguments)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                // The statement itself is fixed and tested: an SQLITE_ERROR here
                // comes from parsing the user's MATCH expression.
                throw QueryError.invalidSearch(query: query, reason: error.message ?? "syntax error")
            }
        }
    }

    /// The text as one FTS5 phrase: inside double quotes, a quote is doubled.
    public static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
