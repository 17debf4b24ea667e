import ArchiveKit

/// `/search?q=`: `archive search` in a page, its snippets highlighted.
struct SearchPage {
    /// Marks that no transcript holds (Unicode private use), placed by FTS5's
    /// `snippet()` and turned into `<mark>` only after the text is escaped.
    static let markers: CallSearch.Markers = (open: "\u{E000}", close: "\u{E001}")

    let query: ListQuery
    let text: String
    let literal: Bool
    /// nil before a search is made.
    let results: ResultSet?
    let error: String?
    let limit: Int

    var html: HTML {
        let extra: HTML = """
            <label>search<input type="search" name="q" value="\(text)" placeholder="refund" autofocus></label>
            <label class="check"><input type="checkbox" name="literal" value="1"\(literal ? " checked" as HTML : "")> literal text</label>
            """
        var body: HTML = "<h1>Search</h1>\(FilterForm.html(query, action: "/search", extra: extra, submit: "Search"))"
        if let error {
            body = "\(body)<p class=\"error\">\(error)</p>"
        } else if let results {
            body = "\(body)\(table(results))"
        } else {
            body = "\(body)<p class=\"muted\">Full-text search over transcripts and analysis summaries, best match first. FTS5 syntax works: \"exact phrase\", refund AND agent, refun*; tick literal text to search for the words exactly as written.</p>"
        }
        return Layout.page(title: text.isEmpty ? "Search" : "Search: \(text)", section: .search, body: body)
    }

    private func table(_ results: ResultSet) -> HTML {
        guard !results.rows.isEmpty else { return "<p class=\"muted\">No matches.</p>" }
        let rows = results.rows.map { row -> HTML in
            let provider = results.text(row, "provider") ?? "", id = results.text(row, "call_id") ?? ""
            let turn = results.text(row, "turn_index")
            let href = URLBuilder.path("calls", provider, id) + (turn.map { "#turn-\($0)" } ?? "")
            return """
                <tr><td>\(results.text(row, "started_at").map(CallListPage.shortTime))</td><td>\(provider)</td><td><a href="\(href)">\(id)</a></td>
                <td>\(results.text(row, "role"))\(turn.map { " #\($0)" })</td><td>\(Self.highlighted(results.text(row, "snippet") ?? ""))</td>
                <td class="num">\(results.text(row, "score"))</td></tr>
                """
        }
        let more: HTML = results.rows.count >= limit ? "<p class=\"muted\">The best \(limit) matches are shown; narrow the search or the filters for others.</p>" : .empty
        return """
            <table><thead><tr><th>started (UTC)</th><th>provider</th><th>call ID</th><th>where</th><th>match</th><th class="num">score</th></tr></thead>
            <tbody>\(rows)</tbody></table>\(more)
            """
    }

    /// The snippet escaped as text, then its markers made `<mark>` elements.
    static func highlighted(_ snippet: String) -> HTML {
        let escaped = HTML(text: snippet).markup
        return HTML(raw: escaped.replacingOccurrences(of: markers.open, with: "<mark>").replacingOccurrences(of: markers.close, with: "</mark>"))
    }
}
