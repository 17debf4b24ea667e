@testable import ArchiveKit
import Testing

@Suite struct JSONParserTests {
    @Test func keepsNumbersAndMemberOrderAsSent() throws {
        let value = try JSONParser.parse(#"{"b": 1.50, "a": -0, "c": 1e3, "big": 12345678901234567890}"#)
        #expect(value.jsonText == #"{"b":1.50,"a":-0,"c":1e3,"big":12345678901234567890}"#)
        #expect(value["b"]?.double == 1.5)
        #expect(value["c"]?.int64 == 1000)
    }

    @Test func anObjectThatNamesAMemberTwiceIsRefused() throws {
        for text in [#"{"status": "ongoing", "status": "ended"}"#, #"[{"a": {"x": 1, "x": 1}}]"#,
                     "{" + (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + #", "k39": 0}"#] {
            let error = #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
            #expect(error?.isPermanent == true, "\(text)")
        }
        // The same name in sibling objects is fine.
        #expect(throws: Never.self) { try JSONParser.parse(#"[{"a": 1}, {"a": 2}, {"b": {"a": 3}}]"#) }
        let many = "{" + (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + "}"
        #expect(try JSONParser.parse(many).object?.members.count == 40)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\/d\n", "\u00e9\ud83d\udc4d", "\ud800x", "日本"]"#)
        #expect(value.array?.map(\.string) == ["a\"b\\c/d\n", "é👍", "\u{FFFD}x", "日本"])
        #expect(JSONValue.string("a\"\n\u{1}").jsonText == #""a\"\n\u0001""#)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "tru", "\"abc", "\"a\u{01}b\"", "{} x", "<html></html>", "{'a': 1}",
    ])
    func rejectsInvalidDocuments(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func refusesDeepNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        #expect(error?.reason.contains("nesting") == true)
        #expect(error?.isPermanent == true)
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
    }

    @Test func lenientAccessors() throws {
        let value = try JSONParser.parse(#"{"n": "42", "f": 2.0, "b": 1, "s": "true", "o": {"x": [1]}, "z": null}"#)
        #expect(value["n"]?.int64 == 42)
        #expect(value["f"]?.int64 == 2)
        #expect(value["b"]?.bool == true)
        #expect(value["s"]?.bool == true)
        #expect(value["o"]?.text == #"{"x":[1]}"#)
        #expect(value["z"]?.text == nil)
        #expect(value["z"]?.jsonColumn == nil)
        #expect(value["missing"] == nil)
    }
}

@Suite struct TimestampTests {
    @Test func convertsOffsetsToUTCWithMicroseconds() {
        #expect(Timestamp.fromISO8601("2025-05-19T10:15:22.230876-04:00") == "2025-05-19T14:15:22.230876Z")
        #expect(Timestamp.fromISO8601("2025-05-19T10:15:22+05:30") == "2025-05-19T04:45:22.000000Z")
        #expect(Timestamp.fromISO8601("2025-05-19T23:59:59.9Z") == "2025-05-19T23:59:59.900000Z")
        #expect(Timestamp.fromISO8601("2025-12-31T22:00:00-0300") == "2026-01-01T01:00:00.000000Z")
        #expect(Timestamp.fromISO8601("2024-02-29") == "2024-02-29T00:00:00.000000Z")
        #expect(Timestamp.fromISO8601("2025-05-19 10:15") == "2025-05-19T10:15:00.000000Z")
    }

    @Test(arguments: ["", "yesterday", "2025-02-29T00:00:00Z", "2025-13-01", "2025-05-19T25:00:00Z", "2025-05-19T10:15:22+05:30x", "<string>"])
    func rejectsWhatIsNotATime(_ text: String) {
        #expect(Timestamp.fromISO8601(text) == nil)
    }

    @Test func unixSecondsAndTheMillisecondsMixUp() {
        #expect(Timestamp.fromUnix(0) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.fromUnix(1_747_664_122) == "2025-05-19T14:15:22.000000Z")
        #expect(Timestamp.fromUnix(1_747_664_122_500) == "2025-05-19T14:15:22.500000Z")
        #expect(Timestamp.fromUnix(-1) == "1969-12-31T23:59:59.000000Z")
        #expect(Timestamp.fromUnix(.nan) == nil)
    }

    @Test func textOrderIsTimeOrder() {
        let instants: [Int64] = [-86_400_000_001, 0, 1, 999_999, 1_000_000, 1_747_664_122_230_876, 253_402_300_799_000_000]
        let texts = instants.map { Timestamp.format(microseconds: $0) }
        #expect(texts == texts.sorted())
        #expect(Set(texts.map(\.count)).count == 1)
    }
}
