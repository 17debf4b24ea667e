import ArchiveKit

/// `/stats`: the figures of `archive stats` with the same filters, and charts.
struct StatsPage {
    let query: ListQuery
    let grouping: CallStats.Grouping?
    let groups: [CallStats.Group]
    let byDay: [CallStats.Group]
    let byAssistant: [CallStats.Group]

    var html: HTML {
        let options = [("", "nothing")] + CallStats.Grouping.allCases.map { ($0.rawValue, $0.rawValue) }
        let select: HTML = "<label>break down by<select name=\"by\">\(options.map { value, label in "<option value=\"\(value)\"\(grouping?.rawValue == value ? " selected" as HTML : "")>\(label)</option>" as HTML })</select></label>"
        let figures = StatsReport.rows(groups, by: grouping)
        let rows = figures.rows.map { row in "<tr>\(row.map { "<td>\($0.text)</td>" as HTML })</tr>" as HTML }
        let table: HTML = figures.rows.isEmpty ? "<p class=\"muted\">No calls match.</p>" : """
            <table><thead><tr>\(figures.columns.map { "<th>\($0)</th>" as HTML })</tr></thead><tbody>\(rows)</tbody></table>
            """
        return Layout.page(title: "Stats", section: .stats, body: """
            <h1>Stats</h1>
            \(FilterForm.html(query, action: "/stats", extra: select, submit: "Show"))
            <div class="charts">\(latencyCharts)\(statusChart)\(completionChart)</div>
            <h2>Figures</h2>
            <p class="muted">Percentiles are exact, nearest rank, as archive stats computes them.</p>
            \(table)
            """)
    }

    private var days: [String] { byDay.map(\.key) }

    /// p50/p90/p99 of each latency metric per day.
    private var latencyCharts: HTML {
        let metrics = Array(Set(byDay.flatMap { $0.latency.map(\.metric) })).sorted()
        return HTML.join(metrics.map { metric in
            let figures = byDay.map { day in day.latency.first { $0.metric == metric }?.percentiles }
            let series: [(name: String, values: [Double?])] = [
                ("p50", figures.map { $0?.p50 }), ("p90", figures.map { $0?.p90 }), ("p99", figures.map { $0?.p99 }),
            ]
            return "<div class=\"chart\"><h3>\(metric) per day</h3>\(Charts.lines(days, series, unit: Charts.seconds))</div>"
        })
    }

    /// Calls per day, stacked by status.
    private var statusChart: HTML {
        let perDay = byDay.map { day in day.counts.first { $0.dimension == "status" }?.values ?? [] }
        let statuses = Array(Set(perDay.flatMap { $0.map { $0.value ?? "(none)" } })).sorted()
        let series = statuses.map { status in
            (name: status, values: perDay.map { counts in counts.first { ($0.value ?? "(none)") == status }?.calls ?? 0 })
        }
        return "<div class=\"chart\"><h3>Calls per day by status</h3>\(Charts.stackedColumns(days, series))</div>"
    }

    /// Task completion rate per assistant.
    private var completionChart: HTML {
        let rows = byAssistant.compactMap { group -> (label: String, rate: Double, detail: String)? in
            guard let rate = group.taskCompletion.value else { return nil }
            return (group.key, rate, "\(group.taskCompletion.numerator) of \(group.taskCompletion.denominator) calls complete")
        }
        return "<div class=\"chart\"><h3>Task completion per assistant</h3>\(Charts.rateBars(rows))</div>"
    }
}
