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
        // snippet() is the expensive part. For a short list, rank every match
        // without it and then make snippets for the winners alone, one rowid
        // lookup each (on 100,000 calls: 2.5 s becomes 0.3 s). For a long
        // list, one pass that makes them all is cheaper.
        let snippetsAfter = limit >= 0 && limit <= 1000
        func snippet(_ index: String, column: Int) -> String {
            snippetsAfter ? "NULL" : "snippet(\(index), \(column), \(snippetArguments))"
        }
        let sql = """
            SELECT provider, call_id, started_at, role, turn_index, snippet, round(-bm25, 4) AS score, source, doc FROM (
                SELECT c.provider, c.call_id, c.started_at, t.role, t.turn_index,
                       \(snippet("transcript_turns_fts", column: 0)) AS snippet,
                       bm25(transcript_turns_fts) AS bm25, 'turn' AS source, transcript_turns_fts.rowid AS doc
                FROM transcript_turns_fts
                JOIN transcript_turns t ON t.id = transcript_turns_fts.rowid
                JOIN calls c ON c.id = t.call_ref
                LEFT JOIN call_analysis a ON a.call_ref = c.id
                WHERE transcript_turns_fts MATCH ? AND \(condition)
                UNION ALL
                SELECT c.provider, c.call_id, c.started_at, 'analysis', NULL,
                       \(snippet("call_analysis_fts", column: -1)),
                       bm25(call_analysis_fts), 'analysis', call_analysis_fts.rowid
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
                var result = try ResultSet.fetch(db, sql: sql, arguments: arguments)
                let snippetColumn = 5, sourceColumn = 7, docColumn = 8
                if snippetsAfter {
                    for i in result.rows.indices {
                        let index = result.rows[i][sourceColumn] == .text("turn") ? "transcript_turns_fts" : "call_analysis_fts"
                        let column = index == "transcript_turns_fts" ? 0 : -1
                        let statement = try db.cachedStatement(sql: """
                            SELECT snippet(\(index), \(column), \(snippetArguments)) FROM \(index) WHERE \(index) MATCH ? AND rowid = ?
                            """)
                        let doc: Int64 = if case .integer(let d) = result.rows[i][docColumn] { d } else { 0 }
                        result.rows[i][snippetColumn] = try String.fetchOne(statement, arguments: [match, doc]).map(Cell.text) ?? .null
                    }
                }
                result.columns.removeLast(2)
                for i in result.rows.indices { result.rows[i].removeLast(2) }
                return result
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                // The statements themselves are fixed and tested: an SQLITE_ERROR
                // here comes from parsing the user's MATCH expression.
                throw QueryError.invalidSearch(query: query, reason: error.message ?? "syntax error")
            }
        }
    }

    private static let snippetArguments = "'\(markers.open)', '\(markers.close)', '…', 12"

    /// The text as one FTS5 phrase: inside double quotes, a quote is doubled.
    public static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
