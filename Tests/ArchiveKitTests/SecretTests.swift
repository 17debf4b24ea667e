import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// The API key goes to the configured vendor and nowhere else, and the
/// archive's files are the owner's alone.
@Suite(.timeLimit(.minutes(6)))
struct SecretTests {
    /// Syncs that succeed, fail every way, are rejected and are killed, with a
    /// known key: afterwards no byte of anything the tool wrote holds it.
    @Test func theKeyIsNowhereAfterSyncsThatSucceedFailAreRejectedAndCrash() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let key = "sk-live-\(UUID().uuidString)"
        let ids = SimulatedVendor.puretalk.sampleIDs(count: 300)
        let echo = { (status: Int) in Fault.raw(status: status, headers: ["Content-Type": "text/html"], body: Array("<p>bad key \(key)</p>".utf8)) }
        let echoedInACall = try #require(CallFactory.body(.puretalk, id: ids[4]))
            .replacingOccurrences(of: "\"call_duration_seconds\":", with: "\"call_duration_seconds\":\"\(key)\",\"x\":")
        var outputs: [String] = []
        try await withSimulator { elsewhere in
            let script: [String: [Fault]] = [
                ids[0]: Array(repeating: .slow(seconds: 2), count: 3),                                  // timeouts
                ids[1]: [.redirect(location: "http://localhost:\(elsewhere.port)/puretalk/api/calls/\(ids[1])")],
                ids[2]: Array(repeating: echo(500), count: 3),                                          // 5xx echoing the key
                ids[3]: Array(repeating: echo(200), count: 3),                                          // an HTML 200 echoing it
                ids[4]: [.raw(status: 200, headers: [:], body: Array(echoedInACall.utf8))],             // a refused body holding it
            ]
            let config = SimulatorConfiguration(apiKey: key, latency: .milliseconds(10), faults: FaultPlan(scripted: script),
                                                maxLifetime: .seconds(330))
            try await withSimulator(config) { vendor in
                let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
                let keyFile = try dir.write("key", key + "\n")
                chmod(keyFile, 0o600)
                let base = vendor.baseURL(for: .puretalk)

                let failing = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--api-key-file", keyFile,
                                           "--timeout", "1", "--max-attempts", "3", "-v"], in: dir.url)
                #expect(failing.status == 1, "\(failing.stderr)")
                #expect(failing.stdout.contains("fetched   295"))
                outputs += [failing.stdout, failing.stderr]

                let rejected = try CLI.run(["sync", list, "--provider", "puretalk", "--base-url", base, "--db", "rejected.sqlite", "-v"],
                                           environment: ["PURETALK_API_KEY": "sk-live-WRONG-\(key)"], in: dir.url)
                #expect(rejected.status == 3)
                #expect(rejected.stderr.contains("PURETALK_API_KEY"))
                outputs += [rejected.stdout, rejected.stderr]

                // Killed mid-sync under umask 000: the -wal and -shm stay behind, to be checked too.
                let crash = Process()
                crash.executableURL = URL(fileURLWithPath: "/bin/sh")
                crash.arguments = ["-c", "umask 000; exec \"$0\" \"$@\"", CLI.executable.path, "sync", list, "--provider", "puretalk",
                                   "--base-url", base, "--db", "crash.sqlite", "--refresh", "--concurrency", "2", "-v"]
                crash.currentDirectoryURL = dir.url
                crash.environment = ["PURETALK_API_KEY": key]
                let crashOut = Pipe()
                crash.standardOutput = crashOut
                crash.standardError = crashOut
                try crash.run()
                let wal = dir.path("crash.sqlite-wal"), pid = crash.processIdentifier
                await pollUntil(timeout: .seconds(5), interval: .milliseconds(50)) {
                    (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0 >= 100_000
                } then: { kill(pid, SIGKILL) }
                outputs.append(String(decoding: crashOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
                crash.waitUntilExit()
                for file in ["crash.sqlite", "crash.sqlite-wal", "crash.sqlite-shm"] {
                    let mode = try FileManager.default.attributesOfItem(atPath: dir.path(file))[.posixPermissions] as? Int
                    #expect(mode == 0o600, "\(file) is \(String(mode ?? 0, radix: 8)) under umask 000")
                }
            }
            #expect(elsewhere.totalRequests == 0, "a redirect was followed")
            #expect(!elsewhere.receivedHeaderValues.contains { $0.contains(key) })
        }

        var checked = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.url.path) where file.contains(".sqlite") {
            let bytes = try Data(contentsOf: dir.url.appendingPathComponent(file))
            #expect(bytes.range(of: Data(key.utf8)) == nil, "the key is in \(file)")
            checked += 1
        }
        #expect(checked >= 5, "the database files, with the crashed run's -wal and -shm")
        for output in outputs { #expect(!output.contains(key), "the key was printed: \(output)") }
        #expect(outputs.joined().contains("[redacted]"), "the echoed key was seen and redacted")
    }

    /// The other vendors: a sync with recordings (Vapi's go through its
    /// API host and a redirect to storage), error bodies that echo the key,
    /// `-v`, and a rejected key. No output, database file or storage request
    /// holds the key afterwards.
    @Test(arguments: [SimulatedVendor.puppeteer, .retell, .vapi])
    func theKeyIsNowhereButTheAPIHost(vendor: SimulatedVendor) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let key = "sk-\(vendor.rawValue)-\(UUID().uuidString)"
        let ids = vendor.sampleIDs(count: 40)
        let header = vendor == .puppeteer ? key : "Bearer \(key)"  // PuppeteerAI takes the raw key
        let echo = { (status: Int) in Fault.raw(status: status, headers: ["Content-Type": "text/html"], body: Array("<p>bad key \(header)</p>".utf8)) }
        let script: [String: [Fault]] = [ids[0]: Array(repeating: echo(500), count: 3), ids[1]: Array(repeating: echo(200), count: 3)]
        let config = SimulatorConfiguration(apiKey: key, faults: FaultPlan(scripted: script), maxLifetime: .seconds(330))
        var outputs: [String] = []
        try await withSimulator(config) { server in
            let list = try dir.write("ids.txt", ids.joined(separator: "\n"))
            let base = ["--provider", vendor.provider.rawValue, "--base-url", server.baseURL(for: vendor)]
            let sync = try CLI.run(["sync", list] + base + ["--recordings", "--max-attempts", "3", "-v"],
                                   environment: [vendor.provider.apiKeyVariable: key], in: dir.url)
            #expect(sync.status == 1, "two IDs fail: \(sync.stderr)")
            #expect(sync.stdout.contains("fetched   38"))
            let rejected = try CLI.run(["sync", list] + base + ["--db", "rejected.sqlite", "-v"],
                                       environment: [vendor.provider.apiKeyVariable: "wrong-\(key)"], in: dir.url)
            #expect(rejected.status == 3)
            outputs += [sync.stdout, sync.stderr, rejected.stdout, rejected.stderr]
            #expect(server.receivedHeaderValues.contains(header), "the key went to the API host in the vendor's header")
            #expect(server.storageRequests > 0)
            #expect(!server.storageHeaderValues.contains { $0.contains(key) }, "the key reached the storage host")
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.url.path) where file.contains(".sqlite") {
            let path = dir.url.appendingPathComponent(file)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            #expect(try Data(contentsOf: path).range(of: Data(key.utf8)) == nil, "the key is in \(file)")
        }
        for output in outputs { #expect(!output.contains(key), "the key was printed: \(output)") }
        #expect(outputs.joined().contains("[redacted]"), "the echoed key was seen and redacted")
    }

    @Test func aKeyFileIsPreferredAndOneOthersCanReadIsWarnedAbout() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        try await withSimulator { server in
            let list = try dir.write("ids.txt", SimulatedVendor.puppeteer.sampleIDs(count: 3).joined(separator: "\n"))
            let keyFile = try dir.write("key", "sim-key\n")
            func sync() throws -> CLI.Result {
                try CLI.run(["sync", list, "--provider", "puppeteer", "--base-url", server.baseURL(for: .puppeteer), "--api-key-file", keyFile],
                            environment: ["PUPPETEER_API_KEY": "the-wrong-key"], in: dir.url)
            }
            chmod(keyFile, 0o644)
            let shared = try sync()
            #expect(shared.status == 0, "the file's key wins over the environment's: \(shared.stderr)")
            #expect(shared.stderr.contains("can be read by other users (mode 644); run 'chmod 600"))
            chmod(keyFile, 0o600)
            let private_ = try sync()
            #expect(private_.status == 0 && private_.stderr.isEmpty, "\(private_.stderr)")

            let missing = try CLI.run(["sync", list, "--provider", "puppeteer", "--api-key-file", "nope"], in: dir.url)
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("cannot read the API key from --api-key-file nope: no such file or directory"))
        }
    }
}
