import Foundation
import GRDB
import Testing

/// `archive serve` on a PostgreSQL archive, beside the viewer of the file it
/// was copied from: the same pages and JSON, the same keyset paging, the same
/// recording bytes; only search's ranking may differ.
extension PostgresSuites {
@Suite(.timeLimit(.minutes(6)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresViewerTests {
    @Test func theViewerShowsThePostgreSQLArchiveAsItShowsTheFile() async throws {
        try await SourceArchive.withCopyInPostgres { dir, file, url in
            let recordings = SourceArchive.recordingsDirectory
            let onFile = try ViewerProcess(["--db", file, "--recordings-dir", recordings, "--page-size", "5"], in: dir.url)
            defer { onFile.stop() }
            let onServer = try ViewerProcess(["--db", url, "--recordings-dir", recordings, "--page-size", "5"], environment: TestPostgres.loginEnvironment, in: dir.url)
            defer { onServer.stop() }
            #expect(onServer.startLine.contains("serving postgres://") && (TestPostgres.password.isEmpty || !onServer.startLine.contains(TestPostgres.password)))

            let first = try await onFile.request("/api/calls")
            let call = try #require(first.text.firstMatch(of: /"call_id":"([^"]+)"/).map { String($0.1) })
            let provider = try #require(first.text.firstMatch(of: /"provider":"([^"]+)"/).map { String($0.1) })
            for path in ["/", "/api/calls", "/api/calls?provider=vapi&failed-task=1", "/api/stats", "/api/stats?by=day", "/stats",
                         "/api/calls/\(provider)/\(call)", "/calls/\(provider)/\(call)", "/calls/\(provider)/\(call)/raw",
                         "/calls/\(provider)/nothing-like-it", "/api/calls?since=not-a-date"] {
                let a = try await onFile.request(path), b = try await onServer.request(path)
                #expect(a.status == b.status, "\(path)")
                #expect(a.text == b.text, "\(path)")
            }

            // Keyset paging: the next page, and back, through the Link headers.
            let pageSize = try #require(Self.rows(first.text))
            var path = "/api/calls"
            for rel in ["next", "prev"] {
                let a = try await onFile.request(path), b = try await onServer.request(path)
                #expect(a.header("link") == b.header("link"))
                path = try #require(Self.link(rel, in: a.header("link") ?? ""), "a \(rel) link on \(path)")
                let pageA = try await onFile.request(path), pageB = try await onServer.request(path)
                #expect(pageA.status == 200 && pageA.text == pageB.text, "\(path)")
                #expect(Self.rows(pageA.text) ?? 0 > 0 && (rel == "next" || Self.rows(pageA.text) == pageSize))
            }

            // Search: the same matches, marked; only their order may differ.
            let a = try await onFile.request("/api/search?q=refund"), b = try await onServer.request("/api/search?q=refund")
            #expect(a.status == 200 && b.status == 200)
            #expect(Self.rows(a.text) == Self.rows(b.text) && Self.rows(b.text) ?? 0 > 0)
            let page = try await onServer.request("/search?q=refund")
            #expect(page.status == 200 && page.text.contains("<mark>"))

            // A recording, whole and by range, linked from its call's page.
            let (recorded, hash) = try Self.aRecording(file)
            #expect(try await onServer.request("/calls/\(recorded)").text.contains("/recordings/\(hash)"))
            let whole = try await onServer.request("/recordings/\(hash)"), wholeOnFile = try await onFile.request("/recordings/\(hash)")
            #expect(whole.status == 200 && whole.body == wholeOnFile.body && !whole.body.isEmpty)
            let part = try await onServer.request("/recordings/\(hash)", headers: [("Range", "bytes=0-99")])
            #expect(part.status == 206 && part.body == Array(whole.body.prefix(100)))
            #expect(try await onServer.request("/recordings/" + String(repeating: "0", count: 64)).status == 404)
        }
    }

    /// A call with a recording (`provider/call_id`) and the recording's SHA-256.
    static func aRecording(_ file: String) throws -> (String, String) {
        let queue = try DatabaseQueue(path: file)
        defer { try? queue.close() }
        let row = try #require(try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT provider || '/' || call_id AS call, sha256 FROM recordings ORDER BY provider, call_id LIMIT 1")
        })
        return (row["call"], row["sha256"])
    }

    /// The target of a `Link` header's entry `<…>; rel="name"`.
    static func link(_ rel: String, in header: String) -> String? {
        for entry in header.split(separator: ",") where entry.contains("rel=\"\(rel)\"") {
            guard let open = entry.firstIndex(of: "<"), let close = entry.firstIndex(of: ">") else { continue }
            return String(entry[entry.index(after: open)..<close])
        }
        return nil
    }

    /// The number of rows in a JSON array the API returned.
    static func rows(_ text: String) -> Int? {
        guard let data = text.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else { return nil }
        return array.count
    }
}
}
