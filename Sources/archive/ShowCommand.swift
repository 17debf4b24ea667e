import ArgumentParser
import ArchiveKit
import Foundation

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one archived call, with no network.")

    @Argument(help: "The call ID.")
    var id: String

    @Option(help: "The vendor, when both hold a call with this ID.")
    var provider: Provider?

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var recordingOptions: RecordingOptions

    @Flag(help: "Print the normalized call as one JSON document.")
    var json = false

    @Flag(help: "Print the vendor's body exactly as it was received.")
    var raw = false

    func validate() throws {
        if json && raw { throw ValidationError("--json and --raw cannot be used together.") }
    }

    func run() async throws {
        // A file's recordings sit beside it by default; a PostgreSQL archive's only where --recordings-dir says.
        let recordings: String? = if case .sqlite = try database.location {
            try recordingOptions.directory(database: database)
        } else {
            recordingOptions.recordingsDir
        }
        let (id, provider, json, raw) = (id, provider, json, raw)
        let text = try await database.withQueries { store in
            try await Self.render(id: id, provider: provider, store: store, json: json, raw: raw, recordings: recordings)
        }
        // --raw is byte for byte: no newline is added to the vendor's body.
        FileHandle.standardOutput.write(Data((raw ? text : text + "\n").utf8))
    }

    /// The text `show` prints; shared with `demo`.
    static func render(id: String, provider: Provider?, store: any CallReader, json: Bool = false, raw: Bool = false,
                       recordings: String? = nil) async throws -> String {
        let chosen: Provider
        if let provider {
            chosen = provider
        } else {
            let holders = try await store.providers(holding: id)
            guard let first = holders.first else {
                throw CommandFailure("no call \(id.debugDescription) in \(store.name). Sync it first, or check --db.", .someFailed)
            }
            guard holders.count == 1 else {
                throw CommandFailure("both \(holders.map(\.rawValue).joined(separator: " and ")) have a call \(id.debugDescription); pass --provider to choose.", .usage)
            }
            chosen = first
        }
        guard let call = try await store.storedCall(provider: chosen, id: id) else {
            throw CommandFailure("no \(chosen.displayName) call \(id.debugDescription) in \(store.name). Sync it first, or check --db.", .someFailed)
        }
        if raw { return call.rawJSON }
        if json { return CallPresenter.json(call).prettyText }
        return CallPresenter.text(call, recordings: recordings)
    }
}
