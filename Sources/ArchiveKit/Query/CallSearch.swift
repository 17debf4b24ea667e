import GRDB

/// `archive search`: full-text search over transcript turns and analysis
/// summaries through the FTS5 indexes of migration 0002, best match first.
public enum CallSearch {
    /// How a match is marked in `snippet`: the CLI's default; the viewer
    /// passes characters no transcript holds, and turns them into `<mark>`.
    public typealias Markers = (open: String, close: String)
    public static let markers: Markers = (open: "[", close: "]")

    /// Keys: `provider, call_id, started_at, role, turn_index, snippet, score`.
    /// `role` is the turn's role, or `analysis` for a match in the call's
    /// analysis (then `turn_index` is null). `score` is FTS5's bm25 negated:
    /// higher is better.
    ///
    /// - Parameter literal: search for `query` as one exact phrase instead of
    ///   reading it as FTS5 query syntax.
    ///   `limit` nil returns every match.
    public static func run(_ query: String, literal: Bool = false, filter: CallFilter, limit: Int?,
                           markers: Markers = markers, in store: ArchiveStore) throws -> ResultSet {
        precondition(!(markers.open + markers.close).contains("'"), "markers are placed in the SQL text")
        let match = literal ? phrase(query) : query
        let (condition, filterArguments) = filter.condition()
        // snippet() is the expensive part. For a short list, rank every match
        // without it and then make snippets for the winners alone, one rowid
        // lookup each (on 100,000 calls: 2.5 s becomes 0.3 s). For a long
        // list, one pass that makes them all is cheaper.
        let snippetsAfter = limit.map { $0 <= 1000 } ?? false
        func snippet(_ index: Index) -> String { snippetsAfter ? "NULL" : index.snippet(markers) }
        let sql = """
            SELECT provider, call_id, started_at, role, turn_index, snippet, round(-bm25, 4) AS score, source, doc FROM (
                SELECT c.provider, c.call_id, c.started_at, t.role, t.turn_index,
                       \(snippet(.turns)) AS snippet,
                       bm25(transcript_turns_fts) AS bm25, '\(Index.turns.rawValue)' AS source, transcript_turns_fts.rowid AS doc
                FROM transcript_turns_fts
                JOIN transcript_turns t ON t.id = transcript_turns_fts.rowid
                JOIN calls c ON c.id = t.call_ref
                LEFT JOIN call_analysis a ON a.call_ref = c.id
                WHERE transcript_turns_fts MATCH ? AND \(condition)
                UNION ALL
                SELECT c.provider, c.call_id, c.started_at, 'analysis', NULL,
                       \(snippet(.analysis)),
                       bm25(call_analysis_fts), '\(Index.analysis.rawValue)', call_analysis_fts.rowid
                FROM call_analysis_fts
                JOIN call_analysis a ON a.call_ref = call_analysis_fts.rowid
                JOIN calls c ON c.id = a.call_ref
                WHERE call_analysis_fts MATCH ? AND \(condition)
            )
            ORDER BY bm25, started_at DESC, provider, call_id, turn_index
            LIMIT ?
            """
        let arguments: StatementArguments = [match] + filterArguments + [match] + filterArguments + [limit ?? -1]
        return try store.read { db in
            do {
                var result = try ResultSet.fetch(db, sql: sql, arguments: arguments)
                let snippetColumn = 5, sourceColumn = 7, docColumn = 8
                if snippetsAfter {
                    for i in result.rows.indices {
                        guard case .text(let source) = result.rows[i][sourceColumn], let index = Index(rawValue: source),
                              case .integer(let doc) = result.rows[i][docColumn] else { continue }
                        let statement = try db.cachedStatement(sql: """
                            SELECT \(index.snippet(markers)) FROM \(index.rawValue) WHERE \(index.rawValue) MATCH ? AND rowid = ?
                            """)
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

    /// The same search on a store that streams rows (PostgreSQL): the query
    /// parsed as `TextSearchQuery`, matched against the `search_vector`
    /// columns, ranked by `ts_rank_cd` (cover density, not FTS5's bm25: the
    /// scores differ, and so can the order of close matches) and cut into
    /// snippets by `ts_headline` for the rows kept only.
    public static func run(_ query: String, literal: Bool = false, filter: CallFilter, limit: Int?,
                           markers: Markers = markers, from source: some RowStream) async throws -> ResultSet {
        let tsquery = try TextSearchQuery(parsing: literal ? phrase(query) : query).tsquery
        let condition = filter.condition(.postgres)
        let time = TransferPlan(.postgres).readExpression("m.started_at", .time)
        let analysisText = "concat_ws(' ', a.summary, a.call_completion_summary, a.task_completion_summary)"
        let headline = "StartSel=\"\(markers.open)\", StopSel=\"\(markers.close)\", MaxWords=14, MinWords=6, MaxFragments=1, FragmentDelimiter=…"
        let sql = """
            WITH q AS (SELECT to_tsquery('english', ?) AS q)
            SELECT m.provider, m.call_id, \(time) AS started_at, m.role, m.turn_index,
                   ts_headline('english', m.text, q.q, ?) AS snippet, round(m.rank::numeric, 4)::float8 AS score
            FROM (SELECT * FROM (
                SELECT c.provider, c.call_id, c.started_at, t.role, t.turn_index, t.content AS text,
                       ts_rank_cd(t.search_vector, q.q, 1) AS rank
                FROM q, transcript_turns t
                JOIN calls c ON c.id = t.call_ref
                LEFT JOIN call_analysis a ON a.call_ref = c.id
                WHERE t.search_vector @@ q.q AND \(condition.sql)
                UNION ALL
                SELECT c.provider, c.call_id, c.started_at, 'analysis', NULL, \(analysisText),
                       ts_rank_cd(a.search_vector, q.q, 1)
                FROM q, call_analysis a
                JOIN calls c ON c.id = a.call_ref
                WHERE a.search_vector @@ q.q AND \(condition.sql)
                ) u
                ORDER BY u.rank DESC, u.started_at DESC NULLS LAST, u.provider COLLATE "C", u.call_id COLLATE "C", u.turn_index NULLS FIRST
                LIMIT ?
            ) m, q
            ORDER BY m.rank DESC, m.started_at DESC NULLS LAST, m.provider COLLATE "C", m.call_id COLLATE "C", m.turn_index NULLS FIRST
            """
        let arguments: [TransferValue] = [.text(tsquery), .text(headline)] + condition.values + condition.values
            + [TransferQuery.limit(limit, .postgres)]
        let kinds: [ColumnKind] = [.text, .text] + condition.kinds + condition.kinds + [.integer]
        var result = ResultSet(columns: ["provider", "call_id", "started_at", "role", "turn_index", "snippet", "score"], rows: [])
        try await source.forEachRow(TransferQuery(sql: sql, arguments: arguments, argumentKinds: kinds,
                                                  resultKinds: [.text, .text, .text, .text, .integer, .text, .real])) {
            result.rows.append($0.map(Cell.init))
        }
        return result
    }

    /// The two full-text indexes, and how a snippet is cut from each: from the
    /// turn's text, or from whichever analysis column matched best (-1).
    private enum Index: String {
        case turns = "transcript_turns_fts"
        case analysis = "call_analysis_fts"

        func snippet(_ markers: Markers) -> String {
            "snippet(\(rawValue), \(self == .turns ? 0 : -1), '\(markers.open)', '\(markers.close)', '…', 12)"
        }
    }

    /// The text as one FTS5 phrase: inside double quotes, a quote is doubled.
    public static func phrase(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
