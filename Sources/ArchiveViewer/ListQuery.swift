import ArchiveKit
import Foundation

/// A page's query string, read under the CLI's option names
/// (`?provider=puretalk&since=2026-03-01&status=ended&status=error`), so a
/// view shared as a link means what `archive list` with those options means.
struct ListQuery: Sendable {
    /// The filter options of `archive list`, as query-string names.
    static let filterNames = ["provider", "since", "until", "status", "direction", "assistant", "sentiment", "min-duration", "failed-task"]

    /// Every name and value as sent.
    let items: [(name: String, value: String)]

    init(_ query: String?) {
        items = URLBuilder.parseQuery(query ?? "")
    }

    func value(_ name: String) -> String? {
        items.last { $0.name == name }.map(\.value)
    }

    /// A value that is there and not blank (an empty form field means "any").
    func given(_ name: String) -> String? {
        value(name).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
    }

    func values(_ name: String) -> [String] {
        items.filter { $0.name == name && !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }.map(\.value)
    }

    func flag(_ name: String) -> Bool {
        guard let value = given(name)?.lowercased() else { return false }
        return ["1", "on", "true", "yes"].contains(value)
    }

    /// The filter items alone, blank ones dropped: what links carry along.
    var filterItems: [(name: String, value: String)] {
        items.filter { Self.filterNames.contains($0.name) && !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// The same filter as `archive list`, through the same parser.
    func filter() throws(ViewerError) -> CallFilter {
        var provider: Provider?
        if let name = given("provider") {
            guard let known = Provider(rawValue: name) else {
                throw .badRequest("provider \(name.debugDescription) is not one of \(Provider.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            provider = known
        }
        var minDuration: Double?
        if let text = given("min-duration") {
            guard let seconds = Double(text) else { throw .badRequest("min-duration \(text.debugDescription) is not a number of seconds.") }
            minDuration = seconds
        }
        do {
            return try CallFilter(provider: provider, since: given("since"), until: given("until"), statuses: values("status"),
                                  directions: values("direction"), assistants: values("assistant"), sentiments: values("sentiment"),
                                  minDurationSeconds: minDuration, failedTask: flag("failed-task"))
        } catch {
            throw .badRequest(error.description)
        }
    }

    /// The keyset cursor (`after=` or `before=`), if any.
    func cursor() throws(ViewerError) -> (CallList.Position, CallList.Direction)? {
        for (name, direction) in [("after", CallList.Direction.after), ("before", .before)] {
            guard let token = given(name) else { continue }
            guard let position = Cursor.decode(token) else { throw .badRequest("the \(name)= value of this link is damaged; start again from the first page.") }
            return (position, direction)
        }
        return nil
    }
}

/// A list position as one opaque URL value: base64url of a JSON array
/// `[started_at, provider, call_id]`.
enum Cursor {
    static func encode(_ position: CallList.Position) -> String {
        let json = JSONValue.array([position.startedAt.map(JSONValue.string) ?? .null, .string(position.provider), .string(position.callID)])
        return Data(json.jsonText.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) -> CallList.Position? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard base64.count <= 4096, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              case .array(let parts)? = try? JSONParser.parse(text), parts.count == 3,
              case .string(let provider) = parts[1], case .string(let callID) = parts[2] else { return nil }
        switch parts[0] {
        case .string(let started): return CallList.Position(startedAt: started, provider: provider, callID: callID)
        case .null: return CallList.Position(startedAt: nil, provider: provider, callID: callID)
        default: return nil
        }
    }
}
