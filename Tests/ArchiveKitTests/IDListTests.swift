@testable import ArchiveKit
import Foundation
import Testing

@Suite struct IDListTests {
    func lines(_ bytes: [UInt8], chunk: Int = 7) -> [IDLine] {
        var splitter = LineSplitter()
        var out: [IDLine] = []
        var start = 0
        while start < bytes.count {  // feed in small chunks to cross boundaries
            out += splitter.feed(Data(bytes[start..<min(bytes.count, start + chunk)]))
            start += chunk
        }
        if let last = splitter.finish() { out.append(last) }
        return out
    }

    @Test func trimsSkipsBlanksAndCommentsAndCountsLines() {
        let text = "  a1  \r\n\n# comment\n\tb2\n   # indented comment\nc3"
        #expect(lines(Array(text.utf8)) == [.id("a1", line: 1), .id("b2", line: 4), .id("c3", line: 6)])
    }

    @Test func reportsLinesThatCannotBeIDs() {
        var bytes = Array("ok\nbad\u{1}id\n".utf8)
        bytes += [0xFF, 0xFE, 0x0A]  // not UTF-8
        bytes += Array(String(repeating: "x", count: 300).utf8) + [0x0A]
        bytes += Array(String(repeating: "y", count: 1_000_000).utf8) + [0x0A]
        bytes += Array("nul\u{0}id\nlast".utf8)
        let result = lines(bytes, chunk: 4096)
        #expect(result.count == 7)
        #expect(result[0] == .id("ok", line: 1))
        #expect(result[1] == .invalid(line: 2, reason: "contains control characters"))
        #expect(result[2] == .invalid(line: 3, reason: "not valid UTF-8 text"))
        #expect(result[3] == .invalid(line: 4, reason: "300 bytes long; an ID has at most 256"))
        guard case .invalid(5, let reason) = result[4] else { Issue.record("line 5: \(result[4])"); return }
        #expect(reason.hasPrefix("longer than 65536 bytes"))
        #expect(result[5] == .invalid(line: 6, reason: "contains control characters"))
        #expect(result[6] == .id("last", line: 7))
    }

    @Test func keepsUnicodeAndURLCharactersInIDs() {
        #expect(lines(Array("a/b?c#d%e f\ncafé-☕\n".utf8)) == [.id("a/b?c#d%e f", line: 1), .id("café-☕", line: 2)])
    }

    @Test func refusesDirectoriesAndMissingFiles() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        #expect(throws: InputError.self) { try IDListSource(path: dir.url.path) }
        #expect(throws: InputError.self) { try IDListSource(path: dir.path("nope.txt")) }
    }

    @Test func streamsAFileInChunks() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = try dir.write("ids.txt", (1...1300).map { "id-\($0)" }.joined(separator: "\n"))
        let source = try IDListSource(path: path)
        var all: [IDLine] = []
        var chunks = 0
        while let chunk = await source.next() {
            all += chunk
            chunks += 1
        }
        #expect(all.count == 1300)
        #expect(all.last == .id("id-1300", line: 1300))
        #expect(chunks >= 3)
    }
}
