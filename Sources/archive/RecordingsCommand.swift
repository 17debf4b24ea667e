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
        let store = try SyncRunner.openStore(database.path)
        let configuration = SyncConfiguration(vendor, pace, endpoint: endpoint, refresh: false, source: "recordings",
                                              recordings: try recordingOptions.open(database: database))
        let missing = MissingRecordingsSource(store: store, provider: vendor.provider)
        let code = try await SyncRunner.run(configuration, store: store, source: missing, databasePath: database.path,
                                            logger: SyncRunner.logger(verbose: output.verbose), progress: !output.quiet)
        if let failure = await missing.failure { throw Exit.fail(failure) }
        if code != Exit.ok { throw ExitCode(code) }
    }
}

struct RecordingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recording",
        abstract: "Copy one call's archived recording out of the archive, checking its SHA-256 on the way.")

    @Argument(help: "The call ID.")
    var id: String

    @Option(help: "The vendor, when both hold a call with this ID.")
    var provider: Provider?

    @Option(name: .shortAndLong, help: ArgumentHelp("The file to write (created owner-only), or - for standard output.", valueName: "file"))
    var out: String

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var recordingOptions: RecordingOptions

    func run() throws {
        let rows: [RecordingRow]
        do {
            rows = try ArchiveStore.openReadOnly(path: database.path).recording(callID: id, provider: provider)
        } catch {
            throw Exit.fail(error)
        }
        guard rows.count < 2 else {
            throw Exit.fail("both vendors have a recording for a call \(id.debugDescription); pass --provider to choose.", code: Exit.usage)
        }
        guard let row = rows.first else {
            throw Exit.fail("""
                no archived recording for call \(id.debugDescription) in \(database.path). \
                Fetch it with 'archive recordings --provider \(provider?.rawValue ?? "<vendor>")', or check --db.
                """, code: Exit.someFailed)
        }
        let source = recordingOptions.directory(database: database) + "/" + row.file
        do {
            try RecordingStore.copy(source, to: out, sha256: row.sha256)
        } catch {
            throw Exit.fail(error.description, code: Exit.database)
        }
        if out != "-" {
            let type = row.contentType.map { ", \($0)" } ?? ""
            FileHandle.standardError.write(Data("archive: wrote \(row.size) bytes\(type) to \(out) (SHA-256 \(row.sha256) checked)\n".utf8))
        }
    }
}
