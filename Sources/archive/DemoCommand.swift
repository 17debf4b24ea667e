import ArgumentParser
import ArchiveKit
import Foundation
import VendorSimulator

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "See the whole path with no API key: sync sample calls from the bundled vendor simulator, then show one.",
        discussion: """
            Starts the simulator on 127.0.0.1 (with some injected faults and 20 ms of latency), syncs a sample ID \
            list for each vendor into a new archive, and prints one call. The archive stays for you to query.
            """)

    @Option(help: ArgumentHelp("The demo archive; it is replaced if it exists.", valueName: "path"))
    var db = "archive-demo.sqlite"

    @Option(help: "How many sample calls to sync per vendor.")
    var count = 20

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000.") }
    }

    func run() async throws {
        for suffix in ["", "-wal", "-shm", ".recordings"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let key = "demo-key"
        let simulator = try await SimulatorServer.start(.init(
            apiKey: key, latency: .milliseconds(20),
            faults: FaultPlan(rate: 0.1, kinds: Fault.transient(slowSeconds: 0.1), maxPerID: 1)))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archive-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var firstIDs: [Provider: String] = [:]
        for vendor in SimulatedVendor.allCases {
            guard let provider = Provider(rawValue: vendor.rawValue) else { continue }
            let ids = vendor.sampleIDs(count: count)
            firstIDs[provider] = ids.first
            let listPath = directory.appendingPathComponent("\(vendor.rawValue)-ids.txt").path
            let missing = "\(vendor.rawValue)-\(SimulatedVendor.notFoundMarker)-0001"
            try (["# sample IDs from the bundled simulator"] + ids + [missing]).joined(separator: "\n")
                .write(toFile: listPath, atomically: true, encoding: .utf8)
            print("$ \(provider.apiKeyVariable)=… archive sync \(vendor.rawValue)-ids.txt --provider \(provider.rawValue) --recordings --db \(db) --base-url \(simulator.baseURL(for: vendor))")
            let configuration = SyncConfiguration(
                provider: provider, baseURL: try BaseURL(simulator.baseURL(for: vendor)), apiKey: key,
                timeout: .seconds(2), retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(50)), source: listPath,
                recordings: try RecordingStore(directory: RecordingStore.defaultDirectory(forDatabase: db)))
            _ = try await SyncRunner.run(configuration, store: try ArchiveStore.open(path: db), source: try IDListSource(path: listPath),
                                         databasePath: db, logger: SyncRunner.logger(verbose: false), progress: true)
            print()
        }
        await simulator.stop()

        let shown = firstIDs[.puretalk]!
        let archive = try ArchiveStore.openReadOnly(path: db)
        let recordingsDir = RecordingStore.defaultDirectory(forDatabase: db)
        print("$ archive show \(shown) --db \(db)")
        print(try await ShowCommand.render(id: shown, provider: nil, store: archive, recordings: recordingsDir))
        // The other vendors' first calls, header only: one schema, four vendors.
        for provider in Provider.allCases where provider != .puretalk {
            guard let id = firstIDs[provider] else { continue }
            let text = try await ShowCommand.render(id: id, provider: provider, store: archive, recordings: recordingsDir)
            print("$ archive show \(id) --db \(db)   (its header)")
            print(text.components(separatedBy: "\n\n").first ?? text)
            print()
        }
        print("""
            (The "missing" IDs were planted to show how a not-found call is reported.)
            Next: archive show \(firstIDs[.puppeteer]!) --db \(db) --json
                  archive show \(firstIDs[.retell]!) --db \(db)
                  archive show \(firstIDs[.vapi]!) --db \(db)
                  archive stats --by provider --db \(db)
                  archive recording \(shown) --db \(db) --out \(shown).wav
                  sqlite3 \(db) "SELECT provider, status, count(*) FROM calls GROUP BY 1, 2"
            To run the syncs above by hand, start the simulator in another terminal with
                  swift run archive-sim --port 8080 --write-sample-ids 20
            then use its sample ID lists and port 8080 in those commands, with the key sim-key.
            """)
    }
}
