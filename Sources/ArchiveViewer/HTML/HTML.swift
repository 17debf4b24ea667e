import Foundation

/// Markup that is safe to place in a page, escaped by construction.
///
/// In `"<p>\(text)</p>" as HTML` the literal parts are our own markup and
/// every interpolated `String` is escaped for text and for quoted attribute
/// values alike (`& < > " '`); only another `HTML` value is placed as is. So
/// a transcript that says `<script>` can only ever show as text, and there
/// is no call that places a raw string.
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var markup: String

    public init(stringLiteral value: String) { markup = value }

    public init(stringInterpolation: Interpolation) { markup = stringInterpolation.markup }

    /// Text to be shown as text.
    public init(text: String) { markup = HTML.escape(text) }

    public static let empty: HTML = ""

    public var description: String { markup }

    public struct Interpolation: StringInterpolationProtocol {
        var markup = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity * 2)
        }

        public mutating func appendLiteral(_ literal: String) { markup += literal }

        /// Text: always escaped.
        public mutating func appendInterpolation(_ text: String) { markup += HTML.escape(text) }

        /// An optional text: nothing when nil.
        public mutating func appendInterpolation(_ text: String?) { if let text { markup += HTML.escape(text) } }

        /// Numbers are text too.
        public mutating func appendInterpolation<N: Numeric & CustomStringConvertible>(_ number: N) {
            markup += HTML.escape(number.description)
        }

        /// Markup built the same way: placed as is.
        public mutating func appendInterpolation(_ html: HTML) { markup += html.markup }

        /// A list of fragments, one after another.
        public mutating func appendInterpolation(_ list: [HTML]) {
            for html in list { markup += html.markup }
        }
    }

    /// Escapes for HTML text and quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(raw: lhs.markup + rhs.markup) }

    /// Joins fragments with a separator.
    public static func join(_ parts: [HTML], separator: HTML = "") -> HTML {
        HTML(raw: parts.map(\.markup).joined(separator: separator.markup))
    }

    /// Only for markup this module has built itself (joins, highlighted snippets).
    init(raw: String) { markup = raw }
}

/// Builds the URLs the pages link to: paths from percent-encoded segments and
/// query strings from names and values, so an ID or a filter value is never
/// read as part of the URL's structure. The result goes into an attribute
/// through `HTML`'s escaping, like any other text.
public enum URLBuilder {
    /// `/calls/retell/abc%2Fdef`: each segment percent-encoded.
    public static func path(_ segments: String...) -> String {
        "/" + segments.map(encode).joined(separator: "/")
    }

    /// `?a=1&b=x%20y`, or "" when there is nothing to add.
    public static func query(_ items: [(name: String, value: String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }

    /// Everything but unreserved characters (RFC 3986) percent-encoded.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// Decodes a query string (`a=1&b=x+y`), `+` as a space as HTML forms
    /// send it; a malformed escape keeps its text as written.
    public static func parseQuery(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
