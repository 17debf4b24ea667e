import ArgumentParser
import ArchiveKit
import Foundation

struct RecordingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recordings",
        abstract: "Download the recordings that archived calls are still missing.",
        discussion: """
            For every call of the vendor archived in a final state with a recording link but no recording, \
            downloads the recording into the recordings directory. An expired link is replaced by a fresh \
            Get Call, once. Failures are kept in the recording_failures table; run the command again to retry them.
            """)

    @OptionGroup var vendor: VendorOptions

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var pace: PaceOptions

    @OptionGroup var recordingOptions: RecordingOptions

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let endpoint = try vendor.endpoint()
        // A usage error (no --recordings-dir for PostgreSQL) comes before the archive is opened.
        let recordingsDirectory = try recordingOptions.directory(database: database)
        let failure = try await database.withStore { store in
            let configuration = SyncConfiguration(vendor, pace, endpoint: endpoint, refresh: false, source: "recordings",
                                                  recordings: try RecordingStore(directory: recordingsDirectory))
            let missing = MissingRecordingsSource(store: store, provider: vendor.provider)
            let failure = try await SyncRunner.run(configuration, store: store, source: missing, databasePath: try database.location.description,
                                                   logger: SyncRunner.logger(verbose: output.verbose), progress: !output.quiet)
            if let storeFailure = await missing.failure { throw storeFailure }
            return failure
        }
        if let failure { throw failure }
    }
}

struct RecordingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recording",
        abstract: "Copy one call's archived recording out of the archive, checking its SHA-256 on the way.")

    @Argument(help: "The call ID.")
    var id: String

    @Option(help: "The vendor, when several hold a call with this ID.")
    var provider: Provider?

    @Option(help: ArgumentHelp("Which recording: mono (every vendor's), multichannel (Retell) or stereo (Vapi).", valueName: "variant"))
    var variant: RecordingVariant = .mono

    @Option(name: .shortAndLong, help: ArgumentHelp("The file to write (created owner-only), or - for standard output.", valueName: "file"))
    var out: String

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var recordingOptions: RecordingOptions

    func run() async throws {
        let (rows, archive) = try await database.withQueries { queries in
            (try await queries.recording(callID: id, provider: provider, variant: variant), queries.name)
        }
        guard rows.count < 2 else {
            throw CommandFailure("several vendors have a recording for a call \(id.debugDescription); pass --provider to choose.", .usage)
        }
        guard let row = rows.first else {
            let fetch = variant == .mono
                ? "Fetch it with 'archive recordings --provider \(provider?.rawValue ?? "<vendor>")'"
                : "Fetch it with 'archive sync --refresh --two-party-recordings' on its ID"
            throw CommandFailure("""
                no archived \(variant == .mono ? "" : variant.rawValue + " ")recording for call \(id.debugDescription) in \(archive). \
                \(fetch), or check --db.
                """, .someFailed)
        }
        let source = try recordingOptions.directory(database: database) + "/" + row.file
        try RecordingStore.copy(source, to: out, sha256: row.sha256)
        if out != "-" {
            let type = row.contentType.map { ", \($0)" } ?? ""
            FileHandle.standardError.write(Data("archive: wrote \(row.size) bytes\(type) to \(out) (SHA-256 \(row.sha256) checked)\n".utf8))
        }
    }
}

extension RecordingVariant: ExpressibleByArgument {}
