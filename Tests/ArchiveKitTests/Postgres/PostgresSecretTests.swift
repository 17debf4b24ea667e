import ArchiveKit
import Foundation
import Testing
import VendorSimulator

/// `SecretTests` for a PostgreSQL archive: with the API key echoed back by
/// the vendor and the database password in the URL itself, neither is in
/// anything the commands print, nor anywhere in the database (`pg_dump`).
extension PostgresSuites {
@Suite(.timeLimit(.minutes(6)), .enabled(if: TestPostgres.available, TestPostgres.skipReason))
struct PostgresSecretTests {
    @Test func neitherTheKeyNorThePasswordIsPrintedOrStored() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let key = "sk-live-\(UUID().uuidString)"
        let password = TestPostgres.password
        #expect(password.count >= 16)
        let ids = SimulatedVendor.puretalk.sampleIDs(count: 40)
        let echo = { (status: Int) in Fault.raw(status: status, headers: ["Content-Type": "text/html"], body: Array("<p>bad key \(key)</p>".utf8)) }
        let echoedInACall = try #require(CallFactory.body(.puretalk, id: ids[4]))
            .replacingOccurrences(of: "\"call_duration_seconds\":", with: "\"call_duration_seconds\":\"\(key)\",\"x\":")
        let script: [String: [Fault]] = [
            ids[2]: Array(repeating: echo(500), count: 3),                                  // 5xx echoing the key
            ids[3]: Array(repeating: echo(200), count: 3),                                  // an HTML 200 echoing it
            ids[4]: [.raw(status: 200, headers: [:], body: Array(echoedInACall.utf8))],     // a refused body holding it
        ]
        let config = SimulatorConfiguration(apiKey: key, faults: FaultPlan(scripted: script), maxLifetime: .seconds(330))
        try await TestPostgres.withDatabase { url in
            let withPassword = url.replacingOccurrences(of: "://archive_test@", with: "://archive_test:\(password)@")
            #expect(withPassword != url)
            var outputs: [String] = []
            try await withSimulator(config) { vendor in
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let base = vendor.baseURL(for: .puretalk)
                let synced = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--db", withPassword,
                                          "--max-attempts", "3", "-v"], environment: ["PURETALK_API_KEY": key], in: dir.url)
                #expect(synced.status == 1, "\(synced.stdout)\(synced.stderr)")
                #expect(synced.stdout.contains("fetched   37"), "\(synced.stdout)")
                #expect(synced.stdout.contains("All of them: archive sql \"SELECT call_id, http_status, error FROM sync_failures"),
                        "the hint works on either store: \(synced.stdout)")
                let rejected = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--db", withPassword, "-v"],
                                           environment: ["PURETALK_API_KEY": "sk-live-WRONG-\(key)"], in: dir.url)
                #expect(rejected.status == 3, "\(rejected.stderr)")
                let listed = try CLI.run(["ids", "--provider", "puretalk", "--base-url", base, "--db", withPassword, "-v"],
                                         environment: ["PURETALK_API_KEY": key], in: dir.url)
                #expect(listed.status == 0, "\(listed.stderr)")
                outputs += [synced.stdout, synced.stderr, rejected.stdout, rejected.stderr, listed.stderr]
            }
            for arguments in [["show", ids[0]], ["list"], ["stats"], ["search", "refund"], ["export", "--limit", "3"],
                              ["sql", "SELECT current_user"], ["rebuild"]] {
                let result = try CLI.run(arguments + ["--db", withPassword], in: dir.url)
                #expect(result.status == 0 || arguments == ["rebuild"], "\(arguments): \(result.stderr)")
                outputs += [result.stdout, result.stderr]
            }
            let wrong = try CLI.run(["list", "--db", url.replacingOccurrences(of: "://archive_test@", with: "://archive_test:x\(password)@")],
                                    in: dir.url)
            #expect(wrong.status == 4 && wrong.stderr.contains("rejected the login"), "\(wrong.stderr)")
            outputs += [wrong.stdout, wrong.stderr]
            for (n, output) in outputs.enumerated() {
                #expect(!output.contains(key), "output \(n) holds the API key")
                #expect(!output.contains(password), "output \(n) holds the password")
            }

            let dump = try Self.pgDump(url)
            #expect(dump.contains(ids[0]) && dump.contains("sync_failures"), "the dump is of the archive")
            #expect(!dump.contains(key), "the database holds the API key")
            #expect(!dump.contains(password), "the database holds the password")
        }
    }

    /// The whole database as SQL, by PostgreSQL's own client.
    static func pgDump(_ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pg_dump")
        process.arguments = ["--dbname", url, "--no-owner"]
        process.environment = ["PGPASSWORD": TestPostgres.password, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "pg_dump failed")
        return String(decoding: data, as: UTF8.self)
    }
}
}
