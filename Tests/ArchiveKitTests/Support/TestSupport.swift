@testable import ArchiveKit
import Foundation
import GRDB
import Testing
import VendorSimulator

/// Runs `body` against a fresh simulator and always stops it afterwards. The
/// simulator also stops itself after `maxLifetime`, so no test leaves it running.
func withSimulator<T>(_ configuration: SimulatorConfiguration = .init(maxLifetime: .seconds(330)),
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
    try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? -1 }
}

/// A vendor's Get Call example from its reference page (`Fixtures/`), and the call ID it is the answer for.
func referenceBody(_ provider: Provider) throws -> (body: String, id: String) {
    switch provider {
    case .puretalk: (try fixture("puretalk-get-call.json"), "be8b84ed-16d8-459e-b71c-b0f54fce5ec1")
    case .puppeteer: (try fixture("puppeteerai-get-call.json"), "<string>")
    case .retell: (try fixture("retell-get-call.json"), "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6")
    case .vapi: (try fixture("vapi-get-call.json"), "2f4e9c1a-7d3b-4e8a-9f21-6c5d4b3a2e10")
    }
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
    #expect(row["status"] as String? == call[vendor == .retell ? "call_status" : "status"] as? String, sourceLocation: sourceLocation)
    if vendor == .vapi {
        // The customer calls in, or is called: the agent's number is the other side.
        let customer = (call["customer"] as? [String: Any])?["number"] as? String
        let agent = (call["phoneNumber"] as? [String: Any])?["number"] as? String
        let from = call["type"] as? String == "inboundPhoneCall" ? customer : call["type"] as? String == "outboundPhoneCall" ? agent : nil
        #expect(row["from_number"] as String? == from, sourceLocation: sourceLocation)
        #expect(row["transcript"] as String? == (call["artifact"] as? [String: Any])?["transcript"] as? String, sourceLocation: sourceLocation)
    } else {
        #expect(row["from_number"] as String? == call["from_number"] as? String, sourceLocation: sourceLocation)
        #expect(row["transcript"] as String? == call["transcript"] as? String, sourceLocation: sourceLocation)
    }

    let turns = switch vendor {
    case .retell: (call["transcript_with_tool_calls"] ?? call["transcript_object"]) as? [[String: Any]] ?? []
    case .vapi: ((call["artifact"] as? [String: Any])?["messages"] ?? call["messages"]) as? [[String: Any]] ?? []
    default: call["transcript_object"] as? [[String: Any]] ?? []
    }
    // Vapi's content is a message's `message`, or a tool result's `result`.
    let contentKey = { (turn: [String: Any]) in vendor != .vapi ? "content" : turn["role"] as? String == "tool_call_result" ? "result" : "message" }
    let storedTurns = try Row.fetchAll(db, sql: "SELECT * FROM transcript_turns WHERE provider = ? AND call_id = ? ORDER BY turn_index",
                                       arguments: [vendor.rawValue, id])
    #expect(storedTurns.count == turns.count, "turn count", sourceLocation: sourceLocation)
    for (turn, stored) in zip(turns, storedTurns) {
        #expect(stored["role"] as String? == turn["role"] as? String, sourceLocation: sourceLocation)
        #expect(stored["content"] as String? == turn[contentKey(turn)] as? String, sourceLocation: sourceLocation)
    }
    let latencies = turns.compactMap { $0["turn_latency"] as? [String: Any] }
    let storedLatencies = try Row.fetchAll(db, sql: "SELECT * FROM turn_latencies WHERE provider = ? AND call_id = ? ORDER BY turn_index",
                                           arguments: [vendor.rawValue, id])
    #expect(storedLatencies.count == latencies.count, "latency count", sourceLocation: sourceLocation)
    for (latency, stored) in zip(latencies, storedLatencies) {
        #expect(stored["llm_latency"] as Double? == (latency["llm_latency"] as? NSNumber)?.doubleValue, sourceLocation: sourceLocation)
        #expect(stored["latency"] as Double? == (latency["latency"] as? NSNumber)?.doubleValue, sourceLocation: sourceLocation)
    }

    let analysis = call[vendor == .vapi ? "analysis" : "call_analysis"] as? [String: Any]
    let analysisRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM call_analysis WHERE provider = ? AND call_id = ?",
                                        arguments: [vendor.rawValue, id])
    #expect(analysisRows == (analysis == nil ? 0 : 1), sourceLocation: sourceLocation)
    let storedFields = try Row.fetchAll(db, sql: "SELECT name, value FROM post_analysis_fields WHERE provider = ? AND call_id = ? ORDER BY position",
                                        arguments: [vendor.rawValue, id]).map { NormalizedCall.Field(name: $0["name"], value: $0["value"]) }
    switch vendor {
    case .puretalk:
        #expect(storedFields.count == (analysis?["post_analysis_data"] as? [Any])?.count ?? 0, "post-analysis field count",
                sourceLocation: sourceLocation)
    case .retell:
        // Every analysis key but the summary, custom_analysis_data's keys in its place.
        let custom = (analysis?["custom_analysis_data"] as? [String: Any])?.count ?? 0
        let expected = analysis.map { $0.count - ($0["call_summary"] == nil ? 0 : 1) + (custom > 0 ? custom - 1 : 0) } ?? 0
        #expect(storedFields.count == expected, "post-analysis field count", sourceLocation: sourceLocation)
        let series = (call["latency"] as? [String: Any] ?? [:]).values.compactMap { ($0 as? [String: Any])?["values"] as? [NSNumber] }
        let stored = try Double.fetchAll(db, sql: "SELECT seconds FROM call_latency_samples WHERE provider = ? AND call_id = ?",
                                         arguments: [vendor.rawValue, id])
        #expect(stored.count == series.map(\.count).reduce(0, +), "latency sample count", sourceLocation: sourceLocation)
        let sentMs = series.joined().map(\.doubleValue).reduce(0, +)
        #expect(abs(stored.reduce(0, +) * 1000 - sentMs) < 1e-6, "latency samples in seconds", sourceLocation: sourceLocation)
    case .vapi:
        // Every analysis key but the summary, structuredData's keys in its place.
        let structured = (analysis?["structuredData"] as? [String: Any])?.count ?? 0
        let expected = analysis.map { $0.count - ($0["summary"] == nil ? 0 : 1) + (structured > 0 ? structured - 1 : 0) } ?? 0
        #expect(storedFields.count == expected, "post-analysis field count", sourceLocation: sourceLocation)
        let metrics = ((call["artifact"] as? [String: Any])?["performanceMetrics"] as? [String: Any])?["turnLatencies"] as? [[String: Any]] ?? []
        let sentMs = metrics.flatMap(\.values).compactMap { ($0 as? NSNumber)?.doubleValue }
        let stored = try Double.fetchAll(db, sql: "SELECT seconds FROM call_latency_samples WHERE provider = ? AND call_id = ?",
                                         arguments: [vendor.rawValue, id])
        #expect(stored.count == sentMs.count, "latency sample count", sourceLocation: sourceLocation)
        let storedMs: Double = stored.reduce(0, +) * 1000, sentTotal: Double = sentMs.reduce(0, +)
        #expect(abs(storedMs - sentTotal) < 1e-6, "latency samples in seconds", sourceLocation: sourceLocation)
    case .puppeteer:
        // PuppeteerAI's fields are its analysis flattened one level, a rule AdapterTests pins with
        // written-out values; here the stored rows must be exactly the fields the adapter made.
        #expect(storedFields == (try PuppeteerAdapter().decode(body: body, requestedID: id)).fields, "post-analysis fields",
                sourceLocation: sourceLocation)
    }
}

/// What the archive promises after anything, a crash included: SQLite's own
/// checks pass, the full-text indexes match their tables, and every stored call
/// is whole and exactly what the simulator sends. Returns how many calls are stored.
@discardableResult
func expectArchiveIsSound(_ path: String, _ vendor: SimulatedVendor, from server: SimulatorServer,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    let store = try ArchiveStore.open(path: path)
    try checkFullTextIndexes(store)
    return try store.read { db in
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

/// A port on 127.0.0.1 that nothing listened on a moment ago (the kernel chose it, then it was closed).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) == 0 && getsockname(fd, $0, &size) == 0 }
    }
    guard bound else { throw TestSetupError("no free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A test's own setup failed (a process, a port, a browser): not what it tests.
struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
