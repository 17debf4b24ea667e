import ArchiveKit

/// The filters of `archive list` as a GET form whose field names are the
/// CLI's option names, so the page's address is the view, shareable as a link.
enum FilterForm {
    static func html(_ query: ListQuery, action: String, extra: HTML = .empty, submit: String = "Filter") -> HTML {
        func text(_ name: String, _ label: String, placeholder: String = "", type: String = "text") -> HTML {
            "<label>\(label)<input type=\"\(type)\" name=\"\(name)\" value=\"\(query.values(name).first ?? "")\" placeholder=\"\(placeholder)\"></label>"
        }
        let chosen = query.given("provider")
        let providers = HTML.join([("", "any")].map { HTML("<option value=\"\($0.0)\">\($0.1)</option>") }
            + Provider.allCases.map { provider in
                "<option value=\"\(provider.rawValue)\"\(chosen == provider.rawValue ? " selected" as HTML : "")>\(provider.displayName)</option>"
            })
        return """
            <form class="filters" method="get" action="\(action)">
            \(extra)
            <label>provider<select name="provider">\(providers)</select></label>
            \(text("since", "since", placeholder: "2026-03-01"))
            \(text("until", "until", placeholder: "2026-03-31"))
            \(text("status", "status"))
            \(text("direction", "direction", placeholder: "inbound"))
            \(text("sentiment", "sentiment"))
            \(text("assistant", "assistant", placeholder: "ID or name"))
            \(text("min-duration", "min duration (s)", type: "number"))
            <label class="check"><input type="checkbox" name="failed-task" value="1"\(query.flag("failed-task") ? " checked" as HTML : "")> failed task</label>
            <button type="submit">\(submit)</button>
            </form>
            """
    }
}

extension ResultSet {
    /// A cell by column name; null when the column is absent.
    func cell(_ row: [Cell], _ name: String) -> Cell {
        columns.firstIndex(of: name).map { row[$0] } ?? .null
    }

    func text(_ row: [Cell], _ name: String) -> String? {
        let cell = cell(row, name)
        return cell == .null ? nil : cell.text
    }

    /// A list row's place in the list's order (its keyset cursor).
    func position(_ row: [Cell]?) -> CallList.Position? {
        guard let row else { return nil }
        return CallList.Position(startedAt: text(row, "started_at"), provider: text(row, "provider") ?? "", callID: text(row, "call_id") ?? "")
    }
}
