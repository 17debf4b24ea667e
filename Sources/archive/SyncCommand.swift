import ArgumentParser
import ArchiveKit
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
            --recordings, each call's recording is downloaded right after the call, while its link is fresh. \
            The API key is read from --api-key-file, else from PURETALK_API_KEY or PUPPETEER_API_KEY.
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
        if recordingOptions.recordingsDir != nil && !recordings {
            throw ValidationError("--recordings-dir is where --recordings puts them; add --recordings.")
        }
    }

    func run() async throws {
        let endpoint = try vendor.endpoint()
        let store = try SyncRunner.openStore(database.path)
        let recordingStore = recordings ? try recordingOptions.open(database: database) : nil
        let logger = SyncRunner.logger(verbose: output.verbose)
        let query = try listing.query()
        let configuration = SyncConfiguration(vendor, pace, endpoint: endpoint, refresh: refresh,
                                              source: discover ? "list-calls?" + query.canonical : source ?? "-",
                                              recordings: recordingStore)
        guard discover else {
            let ids: IDListSource
            do {
                ids = try IDListSource(path: source ?? "-")
            } catch {
                throw Exit.fail(error.description, code: Exit.usage)
            }
            let code = try await SyncRunner.run(configuration, store: store, source: ids, databasePath: database.path,
                                                logger: logger, progress: !output.quiet)
            if code != Exit.ok { throw ExitCode(code) }
            return
        }
        let client = VendorClient(provider: vendor.provider, baseURL: endpoint.baseURL, apiKey: endpoint.apiKey,
                                  timeout: vendor.timeoutDuration, concurrency: 1)
        let calls = CallListing(store: store, client: client, query: query, policy: vendor.retry,
                                logger: logger, restart: listing.restart)
        var code = try await SyncRunner.run(configuration, store: store, source: calls, databasePath: database.path,
                                            logger: logger, progress: !output.quiet)
        await client.shutdown()
        code = await ListingReport.finish(calls, provider: vendor.provider, code: code, quiet: false)
        if code != Exit.ok { throw ExitCode(code) }
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
/// the summary, and turns the outcome into an exit code.
enum SyncRunner {
    static func openStore(_ path: String) throws -> ArchiveStore {
        do {
            return try ArchiveStore.open(path: path)
        } catch {
            throw Exit.fail(error)
        }
    }

    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "archive")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    static func run(_ configuration: SyncConfiguration, store: ArchiveStore, source: some IDSource, databasePath: String,
                    logger: Logger, progress showProgress: Bool) async throws -> Int32 {
        let engine = SyncEngine(store: store, configuration: configuration, logger: logger)
        let signals = SignalTrap { engine.stop(signal: $0) }
        let progress = ProgressLine(engine: engine, enabled: showProgress && isatty(STDERR_FILENO) == 1)
        let report: SyncReport
        do {
            report = try await engine.run(source)
        } catch {
            progress.finish()
            throw Exit.fail(error)
        }
        progress.finish()
        signals.cancel()
        print(SyncSummary.text(report, provider: configuration.provider, databasePath: databasePath,
                               recordings: configuration.recordings?.directory))
        switch report.outcome {
        case .completed: return Exit.ok
        case .completedWithFailures: return Exit.someFailed
        case .interrupted(let signal): return 128 + signal
        case .authRejected(let status):
            _ = Exit.fail("""
                \(configuration.provider.displayName) rejected the API key (HTTP \(status)); the sync stopped with no further requests. \
                Check \(configuration.provider.apiKeyVariable) and run the same command again.
                """, code: Exit.authRejected)
            return Exit.authRejected
        case .vendorUnavailable(let inARow, let lastError):
            _ = Exit.fail("""
                \(configuration.provider.displayName) failed \(inARow) calls in a row after every retry (last: \(lastError)); \
                the sync stopped rather than spin. What was fetched is archived. Check the vendor's status, then run the same command again.
                """, code: Exit.vendorUnavailable)
            return Exit.vendorUnavailable
        case .storageFailed(let message):
            _ = Exit.fail(message, code: Exit.database)
            return Exit.database
        }
    }
}
