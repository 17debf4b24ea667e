@testable import ArchiveKit
import Testing

/// Mutation tests of the adapters: every field of each vendor's own reference
/// example is replaced in turn by every other JSON type. The oracle is the
/// example itself (a field's type is the type of its example value), not the
/// contract the adapters declare, so a contract that forgets or mistypes a
/// field fails here.
@Suite struct BodyContractTests {
    static let replacements: [JSONValue] = [
        .string("x"), .number("7"), .bool(true), .object(JSONObject([("k", .number("1"))])), .array([.string("y")]),
    ]

    static let anyType = Set(replacements.map(\.typeName))

    /// Paths (and everything under them) where the vendor documents more than one type, or "any".
    static let free: [Provider: [String: Set<String>]] = [
        .puretalk: ["$.results.metadata": ["a string", "an object"], "$.results.call_analysis.post_analysis_data[0].value": anyType],
        .puppeteer: ["$.transcript_object": anyType, "$.call_analysis": anyType],
        .retell: ["$.metadata": anyType, "$.retell_llm_dynamic_variables": anyType, "$.call_analysis.custom_analysis_data": anyType],
        .vapi: ["$.artifact.messages[3].toolCalls[0]": anyType, "$.artifact.messages[4].result": anyType,
                "$.analysis.structuredData": anyType],
    ]

    static func allowed(_ provider: Provider, _ path: String, _ type: String) -> Bool {
        free[provider, default: [:]].contains { path.hasPrefix($0.key) && $0.value.contains(type) }
    }

    @Test(arguments: Provider.allCases)
    func everyDocumentedFieldOfAnotherTypeFailsTheCallNamingTheField(_ provider: Provider) throws {
        let (seed, id) = try Self.seed(provider)
        var tried = 0, refused = 0
        for (path, original) in Self.nodes(seed, at: "$") where path != "$" {
            for replacement in Self.replacements where replacement.typeName != original.typeName {
                let body = Self.replacing(path, in: seed, with: replacement, at: "$").jsonText
                tried += 1
                do {
                    _ = try provider.adapter.decode(body: body, requestedID: id)
                    #expect(Self.allowed(provider, path, replacement.typeName), "\(path) as \(replacement.typeName) was accepted")
                } catch .wrongType(let reported, let found, _) {
                    refused += 1
                    #expect(reported == path)
                    #expect(found == replacement.typeName)
                    #expect(!Self.allowed(provider, path, replacement.typeName))
                } catch {
                    Issue.record("\(path) as \(replacement.typeName): \(error)")
                }
            }
            // Null is always accepted: a missing value is not a wrong one.
            let nulled = Self.replacing(path, in: seed, with: .null, at: "$").jsonText
            if path != "$.results" {
                #expect(throws: Never.self, "\(path) = null") { try provider.adapter.decode(body: nulled, requestedID: id) }
            }
        }
        #expect(tried > (provider == .puretalk ? 150 : 60))
        #expect(refused > tried / 2)
    }

    @Test func theErrorSaysWhereWhatAndThatTheBodyIsKept() throws {
        let body = #"{"err": false, "results": {"call_id": "c1", "transcript_object": [{"turn_latency": {"llm_latency": "0.8"}}]}}"#
        #expect(throws: DecodeError.wrongType(path: "$.results.transcript_object[0].turn_latency.llm_latency",
                                              found: "a string", expected: "a number")) {
            try PureTalkAdapter().decode(body: body, requestedID: "c1")
        }
        let message = DecodeError.wrongType(path: "$.a", found: "a string", expected: "a number").description
        #expect(message.contains("$.a is a string") && message.contains("sync_failures.response_body"))
        #expect(!DecodeError.wrongType(path: "$", found: "", expected: "").isRetryable)
        #expect(!DecodeError.unacceptableJSON("x").isRetryable)
    }

    @Test func duplicateMemberNamesAreRefusedNotResolved() {
        let body = #"{"err": false, "results": {"call_id": "c1", "status": "in-progress", "status": "completed"}}"#
        #expect(throws: DecodeError.self) { try PureTalkAdapter().decode(body: body, requestedID: "c1") }
        do {
            _ = try PureTalkAdapter().decode(body: body, requestedID: "c1")
        } catch {
            guard case .unacceptableJSON(let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("\"status\""))
        }
    }

    /// Byte-level fuzzing of both seeds: 5,000 random flips, deletions,
    /// insertions and truncations each. Every result decodes or fails with a
    /// `DecodeError`; none crashes, and none is stored under another ID.
    @Test(arguments: Provider.allCases)
    func randomByteMutationsOfTheSeedsNeverCrashTheDecoders(_ provider: Provider) throws {
        let (seed, id) = try Self.seed(provider)
        let original = Array(seed.jsonText.utf8)
        var rng = LinearCongruential(seed: UInt64(Provider.allCases.firstIndex(of: provider)! + 1))
        let alphabet = Array("{}[]\":,.-+eE0123456789tfnul \\/x\u{0}".utf8) + [0xC3, 0xA9, 0xFF]
        var decoded = 0, refused = 0
        for _ in 0..<5_000 {
            var bytes = original
            for _ in 0..<(1 + rng.next(4)) where !bytes.isEmpty {
                let at = rng.next(bytes.count)
                switch rng.next(4) {
                case 0: bytes[at] = alphabet[rng.next(alphabet.count)]
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet[rng.next(alphabet.count)], at: at)
                default: bytes.removeSubrange(at...)
                }
            }
            guard let body = String(validating: bytes, as: UTF8.self) else { continue }
            do {
                let call = try provider.adapter.decode(body: body, requestedID: id)
                #expect(call.callID == id && call.rawJSON == body)
                decoded += 1
            } catch {
                refused += 1
            }
        }
        #expect(decoded > 100 && refused > 100, "\(decoded) decoded, \(refused) refused")
    }

    struct LinearCongruential {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func seed(_ provider: Provider) throws -> (JSONValue, String) {
        let (body, id) = try referenceBody(provider)
        return (try JSONParser.parse(body), id)
    }

    /// Every node of a document with its JSONPath, containers included.
    static func nodes(_ value: JSONValue, at path: String) -> [(String, JSONValue)] {
        var out = [(path, value)]
        switch value {
        case .object(let object):
            for (key, child) in object.members { out += nodes(child, at: "\(path).\(key)") }
        case .array(let items):
            for (index, child) in items.enumerated() { out += nodes(child, at: "\(path)[\(index)]") }
        default: break
        }
        return out
    }

    static func replacing(_ target: String, in value: JSONValue, with replacement: JSONValue, at path: String) -> JSONValue {
        if path == target { return replacement }
        switch value {
        case .object(let object):
            return .object(JSONObject(object.members.map { ($0.key, replacing(target, in: $0.value, with: replacement, at: "\(path).\($0.key)")) }))
        case .array(let items):
            return .array(items.enumerated().map { replacing(target, in: $1, with: replacement, at: "\(path)[\($0)]") })
        default:
            return value
        }
    }
}
