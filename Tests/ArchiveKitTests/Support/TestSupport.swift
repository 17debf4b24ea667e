import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// Runs `body` against a fresh simulator and always stops it afterwards. The
/// simulator also stops itself after `maxLifetime`, so no test leaves it running.
func withSimulator<T>(_ configuration: SimulatorConfiguration = .init(maxLifetime: .seconds(120)),
                      _ body: (SimulatorServer) async throws -> T) async throws -> T {
    let server = try await SimulatorServer.start(configuration)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TempDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("archive-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

extension SimulatedVendor {
    var provider: Provider { Provider(rawValue: rawValue)! }
}

/// Rows in a table (a sync function, so GRDB's synchronous `read` is used).
func rowCount(_ store: ArchiveStore, _ table: String) throws -> Int {
    try store.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? -1 }
}

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    return try String(contentsOf: url, encoding: .utf8)
}

/// A sync configuration for the simulator: short backoff, so fault tests stay fast. The default
/// timeout is generous, so a loaded CI machine never turns a slow answer into an extra request
/// in tests that count requests; tests of timeouts pass their own.
func simulatorSync(_ server: SimulatorServer, _ vendor: SimulatedVendor, key: String = "sim-key", concurrency: Int = 8,
                   maxAttempts: Int = 3, timeout: Duration = .seconds(10), refresh: Bool = false) throws -> SyncConfiguration {
    SyncConfiguration(
        provider: vendor.provider, baseURL: try BaseURL(server.baseURL(for: vendor)), apiKey: key,
        concurrency: concurrency, refresh: refresh, timeout: timeout,
        retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)),
        source: "test")
}

func runSync(_ store: ArchiveStore, _ configuration: SyncConfiguration, ids: [String]) async throws -> SyncReport {
    let pipe = Pipe()
    let text = ids.joined(separator: "\n") + "\n"
    let writer = pipe.fileHandleForWriting
    Thread { writer.write(Data(text.utf8)); try? writer.close() }.start()
    let engine = SyncEngine(store: store, configuration: configuration, logger: .init(label: "test"))
    return try await engine.run(IDListSource(handle: pipe.fileHandleForReading))
}

/// Checks every normalized row of one call against its raw body, read with
/// Foundation's JSONSerialization: an oracle independent of the archive's parser.
func expectStoredMatchesBody(_ db: Database, _ vendor: SimulatedVendor, _ id: String, body: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    let parsed = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    let call = try #require((vendor == .puretalk ? parsed["results"] : parsed) as? [String: Any])
    let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM calls WHERE provider = ? AND call_id = ?",
                                            arguments: [vendor.rawValue, id]), sourceLocation: sourceLocation)
    #expect(row["raw_json"] as String == body, "raw body differs", sourceLocation: sourceLocation)
    #expect(row["status"] as String? == call["status"] as? String, sourceLocation: sourceLocation)
    #expect(row["from_number"] as String? == call["from_number"] as? String, sourceLocation: sourceLocation)
    #expect(row["transcript"] as String? == call["transcript"] as? String, sourceLocation: sourceLocation)

    let turns = (call["transcript_object"] as? [[String: Any]]) ?? []
    let storedTurns = try Row.fetchAll(db, sql: "SELECT * FROM transcript_turns WHERE provider = ? AND call_id = ? ORDER BY turn_index",
                                       arguments: [vendor.rawValue, id])
    #expect(storedTurns.count == turns.count, "turn count", sourceLocation: sourceLocation)
    for (turn, stored) in zip(turns, storedTurns) {
        #expect(stored["role"] as String? == turn["role"] as? String, sourceLocation: sourceLocation)
        #expect(stored["content"] as String? == turn["content"] as? String, sourceLocation: sourceLocation)
    }
    let latencies = turns.compactMap { $0["turn_latency"] as? [String: Any] }
    let storedLatencies = try Row.fetchAll(db, sql: "SELECT * FROM turn_latencies WHERE provider = ? AND call_id = ? ORDER BY turn_index",
                                           arguments: [vendor.rawValue, id])
    #expect(storedLatencies.count == latencies.count, "latency count", sourceLocation: sourceLocation)
    for (latency, stored) in zip(latencies, storedLatencies) {
        #expect(stored["llm_latency"] as Double? == (latency["llm_latency"] as? NSNumber)?.doubleValue, sourceLocation: sourceLocation)
        #expect(stored["latency"] as Double? == (latency["latency"] as? NSNumber)?.doubleValue, sourceLocation: sourceLocation)
    }

    let analysis = call["call_analysis"] as? [String: Any]
    let analysisRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM call_analysis WHERE provider = ? AND call_id = ?",
                                        arguments: [vendor.rawValue, id])
    #expect(analysisRows == (analysis == nil ? 0 : 1), sourceLocation: sourceLocation)
    let fieldCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM post_analysis_fields WHERE provider = ? AND call_id = ?",
                                      arguments: [vendor.rawValue, id])
    let expectedFields: Int
    switch vendor {
    case .puretalk:
        expectedFields = (analysis?["post_analysis_data"] as? [Any])?.count ?? 0
    case .puppeteer:
        expectedFields = analysis.map { a in
            a.filter { $0.key != "summary" && !($0.key == "call_summary" && a["summary"] == nil) }
                .reduce(0) { $0 + (($1.value as? [String: Any]).map { $0.isEmpty ? 1 : $0.count } ?? 1) }
        } ?? 0
    }
    #expect(fieldCount == expectedFields, "post-analysis field count", sourceLocation: sourceLocation)
}

/// What the archive promises after anything, a crash included: SQLite's own
/// checks pass, the full-text indexes match their tables, and every stored call
/// is whole and exactly what the simulator sends. Returns how many calls are stored.
@discardableResult
func expectArchiveIsSound(_ path: String, _ vendor: SimulatedVendor, from server: SimulatorServer,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    let store = try ArchiveStore.open(path: path)
    try checkFullTextIndexes(store)
    return try store.writer.read { db in
        #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"], sourceLocation: sourceLocation)
        #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty, sourceLocation: sourceLocation)
        let ids = try String.fetchAll(db, sql: "SELECT call_id FROM calls WHERE provider = ?", arguments: [vendor.rawValue])
        for id in ids {
            try expectStoredMatchesBody(db, vendor, id, body: try #require(server.body(vendor, id: id)),
                                        sourceLocation: sourceLocation)
        }
        return ids.count
    }
}

/// Runs a shell script in a private mount namespace, where it may mount a
/// small tmpfs (as root, or through an unprivileged user namespace). nil when
/// this machine allows neither, so tests can say why they did not run.
enum MountNamespace {
    static let prefix: [String]? = {
        for candidate in [["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]] {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            probe.arguments = candidate + ["sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\" && umount \"$d\"; s=$?; rmdir \"$d\"; exit $s"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return candidate }
        }
        return nil
    }()

    static var available: Bool { prefix != nil }

    /// Runs `script` with `sh -e`, its positional parameters set to `arguments`.
    static func run(_ script: String, arguments: [String], environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = (prefix ?? []) + ["sh", "-ec", script, "sh"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes, then
/// runs `action` (whether it held or not) and returns whether it held.
///
/// Both happen on a thread of its own: with two cores the cooperative pool has
/// two threads, and while other tests block them (waiting for processes), a
/// task may resume seconds late and miss a moment the test must catch, such as
/// a child process mid-download; so `action` (the kill) must not wait for the
/// pool either. Nor does it block a pool thread, which would make the tests
/// that time requests late.
@discardableResult
func pollUntil(timeout: Duration, interval: Duration = .milliseconds(20), _ condition: @escaping @Sendable () -> Bool,
               then action: @escaping @Sendable () -> Void = {}) async -> Bool {
    await withCheckedContinuation { continuation in
        Thread {
            let deadline = ContinuousClock.now + timeout
            var held = condition()
            while !held, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: interval.seconds)
                held = condition()
            }
            action()
            continuation.resume(returning: held)
        }.start()
    }
}
