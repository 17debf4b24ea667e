import ArgumentParser
import ArchiveKit
import ArchivePostgres
import Foundation
import Logging

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch every call in an ID list, or every call the vendor lists, and store it in the archive.",
        discussion: """
            Calls already archived in a final state are skipped unless --refresh is given; calls the vendor \
            may still change (in progress, or not yet analysed) are fetched again. With --discover, the IDs come \
            from the vendor's List Calls (see 'archive ids') and fetching starts with the first page. With \
            --recordings, each call's recording is downloaded right after the call, while its link is fresh; with \
            --two-party-recordings, also the recording with each party on its own channel, where the vendor \
            offers one (Retell's multichannel, Vapi's stereo). \
            The API key is read from --api-key-file, else from \(Provider.allCases.map(\.apiKeyVariable).joined(separator: " or ")).
            """)

    @Argument(help: ArgumentHelp("A file with one call ID per line, or - for standard input; omit it with --discover.",
                                 valueName: "ids-file"))
    var source: String?

    @OptionGroup var vendor: VendorOptions

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var pace: PaceOptions

    @Flag(help: "Fetch calls again even if they are archived in a final state.")
    var refresh = false

    @Flag(help: "List the IDs through the vendor's List Calls instead of reading a file.")
    var discover = false

    @OptionGroup var listing: ListingOptions

    @Flag(help: "Also archive each call's recording (and those of final calls archived without theirs).")
    var recordings = false

    @Flag(help: ArgumentHelp("Also archive the two-party recording of each call fetched, where the vendor offers one (implies --recordings).",
                             discussion: "Retell's multichannel and Vapi's stereo recording, downloaded right after the Get Call. For calls archived before, add --refresh."))
    var twoPartyRecordings = false

    /// Recordings are archived with either flag.
    private var archivesRecordings: Bool { recordings || twoPartyRecordings }

    @OptionGroup var recordingOptions: RecordingOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        switch (source, discover) {
        case (nil, false): throw ValidationError("Name an ID list (a file, or - for standard input), or pass --discover.")
        case (.some, true): throw ValidationError("Pass an ID list or --discover, not both.")
        default: break
        }
        if !discover, listing.isSet {
            throw ValidationError("--since, --until, --status and --restart choose what --discover lists; add --discover.")
        }
        if recordingOptions.recordingsDir != nil && !archivesRecordings {
            throw ValidationError("--recordings-dir is where --recordings puts them; add --recordings.")
        }
    }

    func run() async throws {
        let endpoint = try vendor.endpoint()
        // A usage error (no --recordings-dir for PostgreSQL) comes before the archive is opened.
        let recordingsDirectory = archivesRecordings ? try recordingOptions.directory(database: database) : nil
        let failure = try await database.withStore { store in
            let recordingStore = try recordingsDirectory.map { try RecordingStore(directory: $0) }
            let logger = SyncRunner.logger(verbose: output.verbose)
            let query = try listing.query()
            var configuration = SyncConfiguration(vendor, pace, endpoint: endpoint, refresh: refresh,
                                                  source: discover ? "list-calls?" + query.canonical : source ?? "-",
                                                  recordings: recordingStore)
            configuration.twoPartyRecordings = twoPartyRecordings
            guard discover else {
                return try await SyncRunner.run(configuration, store: store, source: try IDListSource(path: source ?? "-"),
                                                databasePath: try database.location.description, logger: logger, progress: !output.quiet)
            }
            let client = VendorClient(provider: vendor.provider, baseURL: endpoint.baseURL, apiKey: endpoint.apiKey,
                                      timeout: vendor.timeoutDuration, concurrency: 1)
            let calls = CallListing(store: store, client: client, query: query, policy: vendor.retry,
                                    logger: logger, restart: listing.restart)
            let failure = try await SyncRunner.run(configuration, store: store, source: calls, databasePath: try database.location.description,
                                                   logger: logger, progress: !output.quiet)
            await client.shutdown()
            return await ListingReport.finish(calls, provider: vendor.provider, after: failure, quiet: false)
        }
        if let failure { throw failure }
    }
}

/// Options about what a command prints.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log each retry and failure as it happens.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print no progress line.")
    var quiet = false
}

/// Runs a sync for the command line: traps signals, shows progress, prints
/// the summary, and turns the outcome into the failure to exit with, if any.
enum SyncRunner {
    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "archive")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    static func run(_ configuration: SyncConfiguration, store: any SyncStore, source: some IDSource, databasePath: String,
                    logger: Logger, progress showProgress: Bool) async throws -> CommandFailure? {
        let engine = SyncEngine(store: store, configuration: configuration, logger: logger)
        let signals = SignalTrap { engine.stop(signal: $0) }
        let progress = ProgressLine(engine: engine, enabled: showProgress && isatty(STDERR_FILENO) == 1)
        let report: SyncReport
        do {
            report = try await engine.run(source)
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        signals.cancel()
        print(SyncSummary.text(report, provider: configuration.provider, databasePath: databasePath,
                               recordings: configuration.recordings?.directory))
        return failure(report.outcome, provider: configuration.provider)
    }

    /// What a sync's outcome means for the exit: nil for a clean run.
    static func failure(_ outcome: SyncReport.Outcome, provider: Provider) -> CommandFailure? {
        switch outcome {
        case .completed: nil
        case .completedWithFailures: CommandFailure(exitStatus: .someFailed)
        case .interrupted(let signal): CommandFailure(exitStatus: .interrupted(by: signal))
        case .authRejected(let status):
            CommandFailure("""
                \(provider.displayName) rejected the API key (HTTP \(status)); the sync stopped with no further requests. \
                Check \(provider.apiKeyVariable) and run the same command again.
                """, .authRejected)
        case .vendorUnavailable(let inARow, let lastError):
            CommandFailure("""
                \(provider.displayName) failed \(inARow) calls in a row after every retry (last: \(lastError)); \
                the sync stopped rather than spin. What was fetched is archived. Check the vendor's status, then run the same command again.
                """, .vendorUnavailable)
        case .storageFailed(let message):
            CommandFailure(message, .database)
        }
    }
}
