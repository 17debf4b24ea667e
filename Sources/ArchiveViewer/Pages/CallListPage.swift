import ArchiveKit

/// `/`: the calls a filter selects, newest first, a page at a time.
struct CallListPage {
    let query: ListQuery
    let calls: ResultSet
    /// Cursors for the pager; nil where there is no page on that side.
    let newer: CallList.Position?
    let older: CallList.Position?

    var html: HTML {
        let carried = query.filterItems
        let rows = calls.rows.map { row -> HTML in
            let provider = calls.text(row, "provider") ?? "", id = calls.text(row, "call_id") ?? ""
            let href = URLBuilder.path("calls", provider, id) + URLBuilder.query(carried)
            let started = calls.text(row, "started_at")
            return """
                <tr>
                <td class="when">\(started.map { "<time datetime=\"\($0)\">\(Self.shortTime($0))</time>" as HTML } ?? "<span class=\"muted\">not started</span>")</td>
                <td>\(provider)</td>
                <td class="id"><a href="\(href)">\(id)</a></td>
                <td class="num">\(calls.text(row, "duration_s").map { $0 + " s" })</td>
                <td>\(calls.text(row, "status"))</td>
                <td>\(calls.text(row, "sentiment"))</td>
                <td>\(calls.text(row, "assistant"))</td>
                <td class="summary">\(calls.text(row, "summary").map(Self.clipped))</td>
                <td>\(calls.cell(row, "has_recording") == .integer(1) ? "yes" : "no")</td>
                <td class="num">\(calls.text(row, "worst_latency_s").flatMap(Double.init).map(Charts.seconds))</td>
                </tr>
                """
        }
        func pageLink(_ name: String, _ position: CallList.Position?, _ label: String) -> HTML {
            guard let position else { return "<span class=\"muted\">\(label)</span>" }
            return "<a href=\"/\(URLBuilder.query(carried + [(name, Cursor.encode(position))]))\">\(label)</a>"
        }
        let table: HTML = calls.rows.isEmpty ? "<p class=\"muted\">No calls match.</p>" : """
            <table>
            <thead><tr><th>started (UTC)</th><th>provider</th><th>call ID</th><th class="num">duration</th><th>status</th><th>sentiment</th><th>assistant</th><th>summary</th><th>recording</th><th class="num">worst latency</th></tr></thead>
            <tbody>
            \(rows)
            </tbody>
            </table>
            """
        return Layout.page(title: "Calls", section: .calls, body: """
            <h1>Calls</h1>
            \(FilterForm.html(query, action: "/"))
            \(table)
            <nav class="pager">\(pageLink("before", newer, "← Newer"))\(pageLink("after", older, "Older →"))</nav>
            """)
    }

    /// `2026-03-01 14:05:09` from the stored ISO 8601 text.
    static func shortTime(_ iso: String) -> String {
        String(iso.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    static func clipped(_ text: String) -> String {
        text.count > 140 ? String(text.prefix(139)) + "…" : text
    }
}
