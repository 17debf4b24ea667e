import ArgumentParser
import Foundation
import VendorSimulator

/// Runs the vendor simulator as a standalone server, for trying the tool by
/// hand and for benchmarks: `archive-sim --port 8080 --latency-ms 50`.
@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive-sim",
        abstract: "Serve PureTalk's and PuppeteerAI's Get Call APIs on 127.0.0.1, with optional faults.",
        discussion: """
            PureTalk is served under /puretalk/api, PuppeteerAI under /puppeteer. IDs containing "missing" \
            answer 404. Sample IDs: pt-call-000001… and pp-call-000001… (any other ID works too).
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

    @Option(help: "Seconds the server runs before stopping itself.")
    var lifetime = 3600

    @Option(name: .customLong("write-sample-ids"), help: "Write this many sample IDs per vendor to <dir>/puretalk-ids.txt and <dir>/puppeteer-ids.txt, then serve.")
    var writeSampleIDs: Int?

    @Option(help: "Where --write-sample-ids writes.")
    var dir = "."

    func validate() throws {
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1.") }
        guard latencyMs >= 0, lifetime > 0 else { throw ValidationError("--latency-ms and --lifetime must be positive.") }
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
            rateLimit: rateLimit, maxLifetime: .seconds(lifetime)), port: port)
        let banner = "archive-sim listening: PureTalk \(server.baseURL(for: .puretalk)), PuppeteerAI \(server.baseURL(for: .puppeteer))\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        try await Task.sleep(for: .seconds(lifetime))
        await server.stop()
    }
}
