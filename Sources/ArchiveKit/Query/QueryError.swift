/// A query the user asked for cannot run as given; the message says how to fix it.
public enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSearch(query: String, reason: String)
    case invalidSQL(reason: String)
    case notReadOnly(reason: String)
    case timedOut(seconds: Double)
    case parameter(String)
    case unknownTable(String, available: [String])

    public var description: String {
        switch self {
        case .invalidSearch(let query, let reason):
            "the search \(quoted(query)) is not valid FTS5 query syntax (\(reason)). "
                + "Put phrases in double quotes, use AND/OR/NOT in capitals and * after a prefix; "
                + "or add --literal to search for the text exactly as written."
        case .invalidSQL(let reason):
            "the query cannot run: \(reason)."
        case .notReadOnly(let reason):
            "archive sql only reads: \(reason). The archive was not changed. Use the sqlite3 shell on a copy to change data."
        case .timedOut(let seconds):
            "the query was interrupted after \(seconds.formatted) s (--timeout). Narrow it, add an index-friendly filter, or raise --timeout."
        case .parameter(let message):
            message
        case .unknownTable(let name, let available):
            "there is no table or view \(quoted(name)). Available: \(available.joined(separator: ", "))."
        }
    }
}

/// Text in double quotes for a message, without Swift's escaping of `'`.
func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

extension Double {
    /// `30` rather than `30.0`, `0.5` as is.
    var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : "\(self)"
    }
}
