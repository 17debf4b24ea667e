import Foundation

/// Charts as SVG drawn here, on the server: nothing to fetch, nothing that
/// fails offline. Each mark carries a `<title>`, which browsers show on hover.
/// Colours come from the stylesheet's classes (the Content-Security-Policy
/// allows no inline style).
enum Charts {
    /// One turn's latency as a stacked bar (end-of-utterance, LLM, TTS) on a
    /// scale shared by every turn of the call, so the slow turns stand out.
    /// A vendor that gives only the total gets one plain bar.
    static func turnBar(eou: Double?, llm: Double?, tts: Double?, total: Double?, scale: Double, width: Double = 200) -> HTML {
        guard scale > 0 else { return .empty }
        let parts: [(String, String, Double?)] = [("eou", "end of utterance", eou), ("llm", "LLM", llm), ("tts", "TTS", tts)]
        var x = 0.0
        var rects: [HTML] = []
        if parts.contains(where: { $0.2 != nil }) {
            for (kind, label, value) in parts {
                guard let value, value > 0 else { continue }
                let w = value / scale * (width - 40)
                rects.append("<rect class=\"bar-\(kind)\" x=\(svg(x)) y=\"2\" width=\(svg(w)) height=\"10\"><title>\(label) \(seconds(value))</title></rect>")
                x += w
            }
        } else if let total {
            x = total / scale * (width - 40)
            rects.append("<rect class=\"bar-total\" x=\"0\" y=\"2\" width=\(svg(x)) height=\"10\"><title>latency \(seconds(total))</title></rect>")
        }
        guard !rects.isEmpty else { return .empty }
        let label = total ?? [eou, llm, tts].compactMap { $0 }.reduce(0, +)
        return """
            <svg class="turn-latency" width=\(svg(width)) height="14" role="img" aria-label="latency \(seconds(label))">\(rects)<text x=\(svg(x + 4)) y="11">\(seconds(label))</text></svg>
            """
    }

    /// Call-level latency samples (Retell, Vapi): one row of dots per metric, on one axis.
    static func strip(_ series: [(metric: String, seconds: [Double])], width: Double = 640) -> HTML {
        let maximum = series.flatMap(\.seconds).max() ?? 0
        guard maximum > 0 else { return .empty }
        let left = 170.0, plot = width - left - 20, row = 22.0
        var marks: [HTML] = []
        for (i, entry) in series.enumerated() {
            let y = 14 + Double(i) * row
            marks.append("<text x=\"0\" y=\(svg(y + 4))>\(entry.metric)</text><line class=\"axis\" x1=\(svg(left)) x2=\(svg(left + plot)) y1=\(svg(y)) y2=\(svg(y))/>")
            for (n, value) in entry.seconds.enumerated() {
                let x = left + value / maximum * plot
                marks.append("<circle class=\"series-\(i % 6)\" cx=\(svg(x)) cy=\(svg(y)) r=\"3.5\" opacity=\"0.7\"><title>\(entry.metric) #\(n + 1): \(seconds(value))</title></circle>")
            }
        }
        let height = 14 + Double(series.count) * row + 8
        marks.append("<text x=\(svg(left)) y=\(svg(height))>0</text><text x=\(svg(left + plot - 30)) y=\(svg(height))>\(seconds(maximum))</text>")
        return "<svg class=\"strip\" width=\(svg(width)) height=\(svg(height + 4)) role=\"img\" aria-label=\"call-level latency samples\">\(marks)</svg>"
    }

    /// Lines over labelled x positions (days), one per series; nil is a gap.
    static func lines(_ labels: [String], _ series: [(name: String, values: [Double?])], unit: (Double) -> String,
                      width: Double = 380, height: Double = 180) -> HTML {
        let maximum = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        guard maximum > 0, !labels.isEmpty else { return "<p class=\"muted\">No data.</p>" }
        let left = 44.0, bottom = 22.0, plotW = width - left - 24, plotH = height - bottom - 10
        func x(_ i: Int) -> Double { left + (labels.count == 1 ? plotW / 2 : Double(i) / Double(labels.count - 1) * plotW) }
        func y(_ v: Double) -> Double { 10 + plotH - v / maximum * plotH }
        var marks: [HTML] = [axes(left: left, top: 10, width: plotW, height: plotH, top: unit(maximum))]
        for (s, entry) in series.enumerated() {
            var path = ""
            for (i, value) in entry.values.enumerated() {
                guard let value else { continue }
                path += (path.isEmpty ? "M" : " L") + "\(fmt(x(i))) \(fmt(y(value)))"
                marks.append("<circle class=\"series-\(s % 6)\" cx=\(svg(x(i))) cy=\(svg(y(value))) r=\"3\"><title>\(labels[i]) \(entry.name): \(unit(value))</title></circle>")
            }
            marks.insert("<path class=\"line series-\(s % 6)\" d=\"\(path)\"/>", at: 1)
        }
        marks.append(xLabels(labels, x: x, y: height - 6))
        return "<svg width=\(svg(width)) height=\(svg(height)) role=\"img\">\(marks)</svg>" + legend(series.map(\.name))
    }

    /// Stacked columns per labelled x position (calls per day by status).
    static func stackedColumns(_ labels: [String], _ series: [(name: String, values: [Int])], width: Double = 380, height: Double = 180) -> HTML {
        let totals = labels.indices.map { i in series.reduce(0) { $0 + $1.values[i] } }
        let maximum = Double(totals.max() ?? 0)
        guard maximum > 0 else { return "<p class=\"muted\">No data.</p>" }
        let left = 44.0, bottom = 22.0, plotW = width - left - 24, plotH = height - bottom - 10
        let slot = plotW / Double(labels.count), barW = max(2, slot * 0.7)
        var marks: [HTML] = [axes(left: left, top: 10, width: plotW, height: plotH, top: String(Int(maximum)))]
        for i in labels.indices {
            var base = 10 + plotH
            for (s, entry) in series.enumerated() where entry.values[i] > 0 {
                let h = Double(entry.values[i]) / maximum * plotH
                base -= h
                marks.append("<rect class=\"series-\(s % 6)\" x=\(svg(left + Double(i) * slot + (slot - barW) / 2)) y=\(svg(base)) width=\(svg(barW)) height=\(svg(h))><title>\(labels[i]) \(entry.name): \(entry.values[i])</title></rect>")
            }
        }
        marks.append(xLabels(labels, x: { left + (Double($0) + 0.5) * slot }, y: height - 6))
        return "<svg width=\(svg(width)) height=\(svg(height)) role=\"img\">\(marks)</svg>" + legend(series.map(\.name))
    }

    /// Horizontal bars of a rate between 0 and 1 (task completion per assistant).
    static func rateBars(_ rows: [(label: String, rate: Double, detail: String)], width: Double = 380) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"muted\">No data.</p>" }
        let left = 150.0, plot = width - left - 50, row = 20.0
        var marks: [HTML] = []
        for (i, entry) in rows.enumerated() {
            let y = Double(i) * row
            let label = entry.label.count > 24 ? String(entry.label.prefix(23)) + "…" : entry.label
            marks.append("""
                <text x="0" y=\(svg(y + 13))>\(label)</text><rect class="series-0" x=\(svg(left)) y=\(svg(y + 3)) width=\(svg(max(1, entry.rate * plot))) height="12"><title>\(entry.label): \(entry.detail)</title></rect><text x=\(svg(left + entry.rate * plot + 4)) y=\(svg(y + 13))>\(percent(entry.rate))</text>
                """)
        }
        return "<svg width=\(svg(width)) height=\(svg(Double(rows.count) * row + 4)) role=\"img\">\(marks)</svg>"
    }

    // MARK: Parts

    private static func axes(left: Double, top: Double, width: Double, height: Double, top label: String) -> HTML {
        """
        <line class="axis" x1=\(svg(left)) y1=\(svg(top)) x2=\(svg(left)) y2=\(svg(top + height))/><line class="axis" x1=\(svg(left)) y1=\(svg(top + height)) x2=\(svg(left + width)) y2=\(svg(top + height))/><text x="0" y=\(svg(top + 8))>\(label)</text><text x=\(svg(left - 12)) y=\(svg(top + height))>0</text>
        """
    }

    /// At most about eight labels, so they do not overlap.
    private static func xLabels(_ labels: [String], x: (Int) -> Double, y: Double) -> HTML {
        let step = max(1, Int((Double(labels.count) / 8).rounded(.up)))
        return HTML.join(stride(from: 0, to: labels.count, by: step).map { i in
            let label = labels[i].count == 10 ? String(labels[i].dropFirst(5)) : labels[i]  // 2026-03-01 → 03-01
            return "<text x=\(svg(x(i))) y=\(svg(y)) text-anchor=\"middle\">\(label)</text>"
        })
    }

    private static func legend(_ names: [String]) -> HTML {
        let items = names.enumerated().map { i, name -> HTML in
            "<span><svg width=\"10\" height=\"10\"><rect class=\"series-\(i % 6)\" width=\"10\" height=\"10\"/></svg> \(name)</span>"
        }
        return "<div class=\"legend\">\(items)</div>"
    }

    /// A quoted SVG number attribute value, `"12.3"`.
    private static func svg(_ value: Double) -> HTML { "\"\(fmt(value))\"" }

    static func fmt(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return String(format: "%.1f", value)
    }

    /// Three decimals, for times in the recording.
    static func fmt3(_ value: Double) -> String { String(format: "%.3f", value) }

    static func seconds(_ value: Double) -> String {
        value < 10 ? String(format: "%.2f s", value) : String(format: "%.1f s", value)
    }

    static func percent(_ rate: Double) -> String { String(format: "%.0f%%", rate * 100) }
}
