/// A JSON value that keeps what the vendor sent: numbers as their original
/// text and object members in their original order. (A member named twice
/// is refused by `JSONParser`: readers disagree about its value.)
///
/// Vendor payloads are only loosely typed, so adapters read them through the
/// lenient accessors below instead of `Decodable` models that fail on drift.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, exactly as it appeared in the body.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Member lookup; `nil` for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var isNull: Bool { if case .null = self { true } else { false } }

    /// Text for a text column: strings as they are, numbers and booleans as
    /// their literal, arrays and objects as JSON text, null as nil.
    public var text: String? {
        switch self {
        case .null: nil
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .array, .object: jsonText
        }
    }

    /// A number, or a string holding one; nil otherwise.
    public var double: Double? {
        switch self {
        case .number(let n): Double(n)
        case .string(let s): Double(s.trimmingWhitespace())
        default: nil
        }
    }

    /// An integral number (or a string holding one); nil for fractions and other types.
    public var int64: Int64? {
        switch self {
        case .number(let n), .string(let n):
            let trimmed = n.trimmingWhitespace()
            if let exact = Int64(trimmed) { return exact }
            if let d = Double(trimmed), d.rounded() == d, abs(d) < 9.0e15 { return Int64(d) }
            return nil
        default: return nil
        }
    }

    /// A number (or a string holding one) rounded to the nearest integer, when
    /// finite and within ±9e15; nil otherwise. For durations in milliseconds.
    public var roundedInt64: Int64? {
        double.flatMap { $0.isFinite && abs($0) < 9.0e15 ? Int64($0.rounded()) : nil }
    }

    /// A boolean; also accepts 0/1 and "true"/"false", which vendors send too.
    public var bool: Bool? {
        switch self {
        case .bool(let b): b
        case .number(let n): n == "1" ? true : n == "0" ? false : nil
        case .string(let s): s == "true" ? true : s == "false" ? false : nil
        default: nil
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var object: JSONObject? { if case .object(let o) = self { o } else { nil } }

    /// Compact JSON text, with numbers and member order as received.
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// JSON text for a JSON column; nil for JSON null.
    public var jsonColumn: String? { isNull ? nil : jsonText }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONValue.writeQuoted(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, member) in object.members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeQuoted(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeQuoted(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// An object's members in the order received. Parsed objects never repeat a
/// key (`JSONParser` refuses them); for one built by hand, a lookup returns
/// the last, as JavaScript and Python do.
public struct JSONObject: Sendable, Equatable {
    public var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) { self.members = members }

    public subscript(key: String) -> JSONValue? {
        members.last(where: { $0.key == key })?.value
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
