@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// Bad input of every kind gets an error that names it; the run goes on where
/// that makes sense, nothing crashes, and the archive is unchanged for it.
@Suite(.timeLimit(.minutes(6)))
struct HostileInputTests {
    @Test func hostileLinesOfAnIDListAreReportedByNumberAndTheRestIsSynced() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator { server in
            let good = SimulatedVendor.puretalk.sampleIDs(count: 3)
            let odd = ["../../etc/passwd", "a/b", "q?x=1", "h#frag", "100%", "with space", "ünï-cødé", "日本語"]
            var bytes = Data((good + odd).joined(separator: "\n").utf8)
            bytes += Data("\nbad\0id\n".utf8)                                        // line 12: a NUL byte
            bytes += Data(repeating: UInt8(ascii: "x"), count: 1_000_000) + Data("\n".utf8)  // line 13: 1 MB
            bytes += Data([0x66, 0xFF, 0xFE, 0x0A])                                  // line 14: not UTF-8
            bytes += Data("pt-missing-1\n".utf8)                                     // line 15: the vendor has no such call
            try bytes.write(to: dir.url.appendingPathComponent("ids.txt"))

            let result = try CLI.run(["sync", "ids.txt", "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "--quiet"],
                                     environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stdout.contains("line 12: contains control characters"))
            #expect(result.stdout.contains("line 13: longer than 65536 bytes"))
            #expect(result.stdout.contains("line 14: not valid UTF-8 text"))
            #expect(result.stdout.contains("pt-missing-1: not found (HTTP 404)"))
            #expect(result.stdout.contains("fetched   \(good.count + odd.count)"), "\(result.stdout)")
            // Each odd ID reached the vendor as itself, once, and is stored under exactly that ID.
            for id in odd { #expect(server.requestCount(.puretalk, id: id) == 1, "\(id)") }
            let stored = try await DatabaseQueue(path: dir.path("archive.sqlite")).read { Set(try String.fetchAll($0, sql: "SELECT call_id FROM calls")) }
            #expect(stored == Set(good + odd))
            #expect(!result.stderr.contains("Fatal error"))
        }
    }

    @Test func listsThatAreNotListsOfIDs() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        var binary = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D])
        binary += Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try binary.write(to: dir.url.appendingPathComponent("photo.png"))
        try Data([0xFF, 0xFE, 0x00, 0x61, 0x00, 0x0A]).write(to: dir.url.appendingPathComponent("utf16.txt"))
        _ = try dir.write("empty.txt", "")
        _ = try dir.write("comments.txt", "# nothing yet\n\n")
        func sync(_ list: String) throws -> CLI.Result {
            try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", "http://127.0.0.1:9", "--quiet"],
                        environment: ["PURETALK_API_KEY": "k"], in: dir.url)
        }
        for list in ["photo.png", "utf16.txt"] {
            let result = try sync(list)
            #expect(result.status == 2, "\(list): \(result.stderr)")
            #expect(result.stderr.contains("cannot read the ID list \(list): it looks like a binary file"), "\(result.stderr)")
        }
        for list in ["empty.txt", "comments.txt"] {
            // An empty list is not an error: a pipeline with no new calls today is normal.
            let result = try sync(list)
            #expect(result.status == 0, "\(list): \(result.stderr)")
            #expect(result.stdout.contains("the list holds no call IDs"))
        }
    }

    /// Each ID gets one hostile answer on a `--refresh` of a good archive.
    @Test func hostileVendorAnswersFailTheirIDAndLeaveItsArchivedCallAlone() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await Self.hostileRefresh(of: .file("archive.sqlite"), in: dir)
    }

    /// Where a hostile test's archive lives: a file, or a PostgreSQL database
    /// that is read back through `archive copy` into a file, so that both are
    /// checked by the same SQLite queries.
    enum Target {
        case file(String)
        case postgres(url: String)

        var db: String {
            switch self {
            case .file(let name): name
            case .postgres(let url): url
            }
        }

        var environment: [String: String] {
            if case .postgres = self { TestPostgres.loginEnvironment } else { [:] }
        }

        /// A file holding the archive as it is now.
        func readable(in dir: TempDirectory) throws -> String {
            switch self {
            case .file(let name):
                return dir.path(name)
            case .postgres(let url):
                let copy = dir.path("read-back-\(UUID().uuidString).sqlite")
                let result = try CLI.run(["copy", "--from", url, "--to", copy], environment: environment, in: dir.url)
                try #require(result.status == 0, "\(result.stderr)")
                return copy
            }
        }
    }

    /// A good archive of ten PureTalk calls, refreshed from a vendor whose every
    /// answer is hostile in its own way: each fails its ID, each refused body is
    /// kept as sent in `sync_failures`, and no archived call changes.
    static func hostileRefresh(of target: Target, in dir: TempDirectory) async throws {
        let ids = SimulatedVendor.puretalk.sampleIDs(count: 10)
        let env = ["PURETALK_API_KEY": "sim-key"].merging(target.environment) { $1 }
        let clean = try ids.map { try #require(CallFactory.body(.puretalk, id: $0)) }
        func mutate(_ index: Int, _ edit: (inout [(key: String, value: JSONValue)]) -> Void) throws -> String {
            let body = try JSONParser.parse(clean[index])
            var results = try #require(body["results"]?.object).members
            edit(&results)
            return JSONValue.object(JSONObject([("msg", .string("Success")), ("err", .bool(false)), ("results", .object(JSONObject(results)))])).jsonText
        }
        func set(_ key: String, _ value: JSONValue) -> (inout [(key: String, value: JSONValue)]) -> Void {
            { members in members = members.map { $0.key == key ? (key, value) : $0 } }
        }
        let wrongType = try mutate(0, set("call_duration_seconds", .string("61")))
        let wrongNested = try mutate(9, set("transcript_object", .array([.object(JSONObject([("turn_latency", .object(JSONObject([("llm_latency", .string("slow"))])))]))])))
        let duplicate = try mutate(4, { $0.append(("status", .string("in-progress"))) })
        let deep = #"{"err": false, "results": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let huge = #"{"err": false, "results": {"call_id": "\#(ids[2])", "transcript": ""# + String(repeating: "x", count: 40 << 20) + "\"}}"
        let bomb = try gzip(Data(count: 64 << 20))
        let html = "<html><body><h1>Service temporarily unavailable</h1></body></html>"

        try await withSimulator { other in
            func answer(_ body: String, status: Int = 200, headers: [String: String] = ["Content-Type": "application/json"]) -> Fault {
                .raw(status: status, headers: headers, body: Array(body.utf8))
            }
            let script: [String: [Fault]] = [
                ids[0]: [answer(wrongType)],
                ids[1]: [answer(deep)],
                ids[2]: [answer(huge)],
                ids[3]: Array(repeating: answer(html, headers: ["Content-Type": "text/html"]), count: 3),
                ids[4]: [answer(duplicate)],
                ids[5]: [answer(#"{"err": true, "msg": "Call is being processed"}"#)],
                ids[6]: Array(repeating: answer(""), count: 3),
                ids[7]: [.redirect(location: "http://localhost:\(other.port)/puretalk/api/calls/\(ids[7])")],
                ids[8]: [.raw(status: 200, headers: ["Content-Encoding": "gzip", "Content-Type": "application/json"], body: Array(bomb))],
                ids[9]: [answer(wrongNested)],
            ]
            let good = try await withSimulator { good in
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let first = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", good.baseURL(for: .puretalk), "--db", target.db,
                                         "--quiet"], environment: env, in: dir.url)
                #expect(first.status == 0, "\(first.stderr)")
                return good
            }
            let before = try await snapshot(try target.readable(in: dir))

            try await withSimulator(.init(faults: FaultPlan(scripted: script), maxLifetime: .seconds(330))) { hostile in
                let result = try CLI.run(["sync", "ids.txt", "--provider", "puretalk", "--base-url", hostile.baseURL(for: .puretalk),
                                          "--db", target.db, "--refresh", "--max-attempts", "3", "--quiet"], environment: env, in: dir.url)
                #expect(result.status == 1, "\(result.stderr)")
                #expect(!result.stderr.contains("Fatal error"))
                let expected = [
                    ids[0]: "field $.results.call_duration_seconds is a string, where the API documents a number",
                    ids[1]: "nesting deeper than 512 levels",
                    ids[2]: "response larger than 33554432 bytes, the cap for one call",
                    ids[3]: "response is not valid JSON",
                    ids[4]: "the member name \"status\" appears twice in one object",
                    ids[5]: "PureTalk reported an error: Call is being processed",
                    ids[6]: "response is not valid JSON",
                    ids[7]: "redirect to localhost not followed, so the API key stays with 127.0.0.1",
                    ids[8]: "compressed response inflates past 33554432 bytes",
                    ids[9]: "field $.results.transcript_object[0].turn_latency.llm_latency is a string",
                ]
                for (id, message) in expected {
                    #expect(result.stdout.contains("\(id): ") && result.stdout.contains(message), "\(id): \(message)\n\(result.stdout)")
                }
                // Only the answers that may be transient were asked for again.
                let attempts = ids.map { hostile.requestCount(.puretalk, id: $0) }
                #expect(attempts == [1, 1, 1, 3, 1, 1, 3, 1, 1, 1], "\(attempts)")
            }
            #expect(other.totalRequests == 0, "the redirect was followed")
            let path = try target.readable(in: dir)
            #expect(try await snapshot(path) == before, "a hostile answer changed an archived call")
            try expectArchiveIsSound(path, .puretalk, from: good)

            let failures = try await DatabaseQueue(path: path).read { db in
                try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT call_id, response_body FROM sync_failures").map {
                    ($0["call_id"] as String, $0["response_body"] as String?)
                })
            }
            #expect(failures.count == ids.count)
            #expect(failures[ids[0]] == wrongType, "a refused body is kept as sent")
            #expect(failures[ids[4]] == duplicate)
            #expect(failures[ids[3]] == html)
            #expect(failures[ids[2]] == .some(nil), "a body over the cap is not kept")
        }
    }

    @Test func archivesThatCannotBeUsedExit4AndAreNotTouched() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator { server in
            let list = try dir.write("ids.txt", SimulatedVendor.puretalk.sampleIDs(count: 2).joined(separator: "\n"))
            func sync(_ db: String) throws -> CLI.Result {
                try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", server.baseURL(for: .puretalk), "--db", db, "--quiet"],
                            environment: ["PURETALK_API_KEY": "sim-key"], in: dir.url)
            }
            #expect(try sync("future.sqlite").status == 0)
            try await DatabaseQueue(path: dir.path("future.sqlite")).write {
                try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('0099_from_the_future')")
            }
            try Data("SQLite format 3\0 but then not really".utf8).write(to: dir.url.appendingPathComponent("fake.sqlite"))
            for (db, message) in [("future.sqlite", "written by a newer version of archive"), ("fake.sqlite", "is not an SQLite archive")] {
                let bytes = try Data(contentsOf: dir.url.appendingPathComponent(db))
                for command in [["show", "pt-call-000001", "--db", db], ["list", "--db", db]] {
                    let result = try CLI.run(command, in: dir.url)
                    #expect(result.status == 4 && result.stderr.contains(message), "\(command): \(result.stderr)")
                }
                let result = try sync(db)
                #expect(result.status == 4 && result.stderr.contains(message), "\(db): \(result.stderr)")
                #expect(try Data(contentsOf: dir.url.appendingPathComponent(db)) == bytes, "\(db) was changed")
            }
        }
    }

    /// Each call's raw body and row counts, to show an archive did not change.
    /// The same hostile answers for the vendors with flat bodies:
    /// a documented field of the wrong type (named by JSONPath), a member named
    /// twice, nesting past the limit, an HTML page, an empty body, the vendor's
    /// own error body, a redirect elsewhere and a gzip bomb. Each fails its ID,
    /// and no archived call changes.
    @Test(arguments: [(SimulatedVendor.puppeteer, "duration_ms", "PuppeteerAI"), (.retell, "duration_ms", "Retell"), (.vapi, "cost", "Vapi")])
    func hostileAnswersFromTheFlatBodyVendorsFailTheirIDAndLeaveTheArchiveAlone(vendor: SimulatedVendor, numberField: String, name: String) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let ids = vendor.sampleIDs(count: 8)
        let env = [vendor.provider.apiKeyVariable: "sim-key"]
        let clean = try ids.map { try #require(CallFactory.body(vendor, id: $0)) }
        func mutate(_ index: Int, _ edit: (inout [(key: String, value: JSONValue)]) -> Void) throws -> String {
            var members = try #require(try JSONParser.parse(clean[index]).object).members
            edit(&members)
            return JSONValue.object(JSONObject(members)).jsonText
        }
        let wrongType = try mutate(0) { $0 = $0.map { $0.key == numberField ? (numberField, .string("61")) : $0 } }
        let duplicate = try mutate(1) { $0.append((vendor == .retell ? "call_status" : "status", .string("ongoing"))) }
        let errors: [SimulatedVendor: String] = [
            .puppeteer: #"{"detail": "Call is being processed"}"#,
            .retell: #"{"error_message": "Call is being processed"}"#,
            .vapi: #"{"message": "Call is being processed", "statusCode": 200}"#,
        ]
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let vendorError = try #require(errors[vendor])
        let bomb = try Self.gzip(Data(count: 64 << 20))
        try await withSimulator { other in
            func answer(_ body: String, headers: [String: String] = ["Content-Type": "application/json"]) -> Fault {
                .raw(status: 200, headers: headers, body: Array(body.utf8))
            }
            let script: [String: [Fault]] = [
                ids[0]: [answer(wrongType)],
                ids[1]: [answer(duplicate)],
                ids[2]: [answer(deep)],
                ids[3]: Array(repeating: answer("<html><body>Bad gateway</body></html>", headers: ["Content-Type": "text/html"]), count: 3),
                ids[4]: Array(repeating: answer(""), count: 3),
                ids[5]: [answer(vendorError)],
                ids[6]: [.redirect(location: "http://localhost:\(other.port)\(vendor.basePath)/elsewhere")],
                ids[7]: [.raw(status: 200, headers: ["Content-Encoding": "gzip", "Content-Type": "application/json"], body: Array(bomb))],
            ]
            let good = try await withSimulator { good in
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let first = try CLI.run(["sync", list, "--provider", vendor.provider.rawValue, "--base-url", good.baseURL(for: vendor), "--quiet"],
                                        environment: env, in: dir.url)
                #expect(first.status == 0, "\(first.stderr)")
                return good
            }
            let path = dir.path("archive.sqlite")
            let before = try await Self.snapshot(path)
            try await withSimulator(.init(faults: FaultPlan(scripted: script), maxLifetime: .seconds(330))) { hostile in
                let result = try CLI.run(["sync", "ids.txt", "--provider", vendor.provider.rawValue, "--base-url", hostile.baseURL(for: vendor),
                                          "--refresh", "--max-attempts", "3", "--quiet"], environment: env, in: dir.url)
                #expect(result.status == 1, "\(result.stderr)")
                let expected = [
                    ids[0]: "field $.\(numberField) is a string, where the API documents a number",
                    ids[1]: "appears twice in one object",
                    ids[2]: "nesting deeper than 512 levels",
                    ids[3]: "response is not valid JSON",
                    ids[4]: "response is not valid JSON",
                    ids[5]: "\(name) reported an error: Call is being processed",
                    ids[6]: "redirect to localhost not followed",
                    ids[7]: "compressed response inflates past 33554432 bytes",
                ]
                for (id, message) in expected {
                    #expect(result.stdout.contains("\(id): ") && result.stdout.contains(message), "\(id): \(message)\n\(result.stdout)")
                }
                #expect(ids.map { hostile.requestCount(vendor, id: $0) } == [1, 1, 1, 3, 3, 1, 1, 1])
            }
            #expect(other.totalRequests == 0, "the redirect was followed")
            #expect(try await Self.snapshot(path) == before, "a hostile answer changed an archived call")
            try expectArchiveIsSound(path, vendor, from: good)
        }
    }

    static func snapshot(_ path: String) async throws -> [String] {
        try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: """
                SELECT c.call_id || ':' || c.raw_json
                    || ':' || (SELECT count(*) FROM transcript_turns t WHERE t.call_ref = c.id)
                    || ':' || (SELECT count(*) FROM post_analysis_fields f WHERE f.call_ref = c.id)
                    || ':' || c.fetched_at
                FROM calls c ORDER BY c.call_id
                """)
        }
    }

    static func gzip(_ data: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        Thread { input.fileHandleForWriting.write(data); try? input.fileHandleForWriting.close() }.start()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return compressed
    }
}
