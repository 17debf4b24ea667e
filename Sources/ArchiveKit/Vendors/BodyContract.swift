/// The JSON types a vendor documents for the fields of its Get Call body.
///
/// A documented field of another type means the body is not what we
/// understand, so the call is refused with an error naming the field instead
/// of being stored with a guessed value; the body itself is kept in
/// `sync_failures.response_body`, so nothing the vendor sent is lost. Absent
/// and null fields are always accepted, undocumented fields are never checked,
/// and where a vendor documents "any" (or two shapes), anything of those goes.
public indirect enum BodyContract: Sendable {
    case any
    case string
    case number
    case bool
    case array(of: BodyContract)
    /// An object whose listed members have these contracts; other members are free.
    case object([String: BodyContract])
    case oneOf([BodyContract])

    /// Throws `.wrongType` naming the first field, as a JSONPath such as
    /// `$.results.transcript_object[3].turn_latency`, whose type breaks the contract.
    func check(_ value: JSONValue, at path: String = "$") throws(DecodeError) {
        guard let mismatch = firstMismatch(value) else { return }
        throw .wrongType(path: path + mismatch.reversedPath.reversed().joined(), found: mismatch.found, expected: mismatch.expected)
    }

    /// The first value that breaks the contract. Its path is put together on
    /// the way back up, only when there is one: a body that keeps its contract,
    /// nearly every body, costs no string per value.
    private struct Mismatch {
        /// The path's components from the value up: `.turn_latency`, `[3]`, `.transcript_object`.
        var reversedPath: [String]
        let found: String
        let expected: String
    }

    private func firstMismatch(_ value: JSONValue) -> Mismatch? {
        if value.isNull { return nil }
        switch (self, value) {
        case (.any, _), (.string, .string), (.number, .number), (.bool, .bool):
            return nil
        case (.array(let element), .array(let items)):
            for (index, item) in items.enumerated() {
                if var mismatch = element.firstMismatch(item) {
                    mismatch.reversedPath.append("[\(index)]")
                    return mismatch
                }
            }
            return nil
        case (.object(let members), .object(let object)):
            for (key, value) in object.members {
                if let contract = members[key], var mismatch = contract.firstMismatch(value) {
                    mismatch.reversedPath.append(Self.component(key))
                    return mismatch
                }
            }
            return nil
        case (.oneOf(let choices), _) where choices.contains(where: { $0.firstMismatch(value) == nil }):
            return nil
        default:
            return Mismatch(reversedPath: [], found: value.typeName, expected: expectation)
        }
    }

    /// What this contract asks for, in words, for error messages.
    var expectation: String {
        switch self {
        case .any: "any value"
        case .string: "a string"
        case .number: "a number"
        case .bool: "true or false"
        case .array: "an array"
        case .object: "an object"
        case .oneOf(let choices): choices.map(\.expectation).joined(separator: " or ")
        }
    }

    /// A member's step in a JSONPath: `.name`, or `["odd name"]`.
    private static func component(_ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        return plain ? ".\(key)" : "[\(key.debugDescription)]"
    }
}

extension JSONValue {
    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
