/// Builds JSON text with members in a fixed order, so bodies are byte-for-byte
/// deterministic and read like the vendors' reference pages.
enum JSONText {
    case null
    case bool(Bool)
    /// A number literal, written as given.
    case number(String)
    case string(String)
    case array([JSONText])
    case object([(String, JSONText)])

    static func int(_ value: Int) -> JSONText { .number(String(value)) }

    /// Milliseconds as seconds with three decimals, e.g. 812 -> 0.812.
    static func seconds(milliseconds: Int) -> JSONText {
        let fraction = String(milliseconds % 1000)
        return .number("\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)")
    }

    static func optional(_ value: String?) -> JSONText { value.map { .string($0) } ?? .null }

    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): Self.quote(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += ", " }
                Self.quote(key, to: &out)
                out += ": "
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
