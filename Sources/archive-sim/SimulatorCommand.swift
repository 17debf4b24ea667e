import ArgumentParser
import Foundation
import VendorSimulator

/// Runs the vendor simulator as a standalone server, for trying the tool by
/// hand and for benchmarks: `archive-sim --port 8080 --latency-ms 50`.
@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive-sim",
        abstract: "Serve PureTalk's, PuppeteerAI's, Retell's and Vapi's Get Call, List Calls and recordings on 127.0.0.1, with optional faults.",
        discussion: """
            PureTalk is served under /puretalk/api, PuppeteerAI under /puppeteer, Retell under /retell, Vapi \
            under /vapi. IDs containing "missing" answer 404. Sample IDs: pt-call-000001…, pp-call-000001…, \
            rt-call-000001… and vc-call-000001… (any other ID works too); List Calls lists the first \
            --listed-calls of them. Recordings: PureTalk's and Vapi's on the API host (PureTalk's sometimes, \
            Vapi's always, redirect to storage), PuppeteerAI's and Retell's on a second port that plays the \
            storage host, behind signed links.
            """)

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "The API key both vendors require.")
    var apiKey = "sim-key"

    @Option(help: "Milliseconds added before every answer.")
    var latencyMs = 0

    @Option(help: "The share of requests that get a transient fault (0 to 1).")
    var faultRate = 0.0

    @Option(help: ArgumentHelp("Serve at most this many Get Call requests per second; answer the rest 429 with Retry-After.",
                               valueName: "per-second"))
    var rateLimit: Double?

    @Option(help: "How many sample calls per vendor List Calls returns.")
    var listedCalls = 1000

    @Option(help: ArgumentHelp("Signed recording links expire this many seconds after the Get Call that issued them (default: never).",
                               valueName: "seconds"))
    var recordingLinkLifetime: Int?

    @Option(help: ArgumentHelp("Every recording is this many bytes (default: 100 KB to 3 MB by call).", valueName: "bytes"))
    var recordingSize: Int?

    @Option(help: "Seconds the server runs before stopping itself.")
    var lifetime = 3600

    @Option(name: .customLong("write-sample-ids"), help: "Write this many sample IDs per vendor to <dir>/<vendor>-ids.txt (puretalk, puppeteer, retell, vapi), then serve.")
    var writeSampleIDs: Int?

    @Option(help: "Where --write-sample-ids writes.")
    var dir = "."

    func validate() throws {
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1.") }
        guard latencyMs >= 0, lifetime > 0 else { throw ValidationError("--latency-ms and --lifetime must be positive.") }
        if let recordingSize, recordingSize < 44 { throw ValidationError("--recording-size must be at least 44 bytes (a WAV header).") }
        if let recordingLinkLifetime, recordingLinkLifetime < 0 { throw ValidationError("--recording-link-lifetime must be positive.") }
        if listedCalls < 0 { throw ValidationError("--listed-calls must be positive.") }
        if let rateLimit, !(rateLimit > 0) { throw ValidationError("--rate-limit must be a positive number of requests per second.") }
    }

    func run() async throws {
        if let count = writeSampleIDs {
            for vendor in SimulatedVendor.allCases {
                let path = (dir as NSString).appendingPathComponent("\(vendor.rawValue)-ids.txt")
                try (vendor.sampleIDs(count: count).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        let server = try await SimulatorServer.start(.init(
            apiKey: apiKey, latency: .milliseconds(latencyMs),
            faults: FaultPlan(rate: faultRate, kinds: Fault.transient(slowSeconds: 5)),
            rateLimit: rateLimit, maxLifetime: .seconds(lifetime), recordingLinkLifetime: recordingLinkLifetime.map { .seconds($0) },
            recordingSize: recordingSize, listedCalls: listedCalls), port: port)
        let banner = "archive-sim listening: PureTalk \(server.baseURL(for: .puretalk)), PuppeteerAI \(server.baseURL(for: .puppeteer)), "
            + "Retell \(server.baseURL(for: .retell)), Vapi \(server.baseURL(for: .vapi)), "
            + "storage http://127.0.0.1:\(server.storagePort)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        try await Task.sleep(for: .seconds(lifetime))
        await server.stop()
    }
}
