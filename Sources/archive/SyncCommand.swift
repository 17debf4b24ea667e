import ArgumentParser
import ArchiveKit
import Foundation
import Logging

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch every call in an ID list and store it in the archive.",
        discussion: """
            Calls already archived in a final state are skipped unless --refresh is given; calls the vendor \
            may still change (in progress, or not yet analysed) are fetched again. The API key is read from \
            --api-key-file, else from PURETALK_API_KEY or PUPPETEER_API_KEY.
            """)

    @Argument(help: ArgumentHelp("A file with one call ID per line, or - for standard input.", valueName: "ids-file"))
    var source: String

    @Option(help: "The vendor: puretalk or puppeteer.")
    var provider: Provider

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The vendor API's base URL, for self-hosting and tests.", valueName: "url"))
    var baseURL: String?

    @Option(help: "The most requests in flight at once; fewer while the vendor answers HTTP 429.")
    var concurrency = 8

    @Option(help: ArgumentHelp("Start at most this many requests per second, for a known quota.", valueName: "per-second"))
    var maxRate: Double?

    @Flag(help: "Fetch calls again even if they are archived in a final state.")
    var refresh = false

    @Option(help: ArgumentHelp("Seconds to wait for one answer.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: "Attempts per call before it is recorded as failed.")
    var maxAttempts = 5

    @Option(help: ArgumentHelp("The longest Retry-After to obey, in seconds; longer ones are cut to this and reported.",
                               valueName: "seconds"))
    var maxRetryAfter: Double = 60

    @Option(help: ArgumentHelp("Read the API key from this file (first line) instead of the environment. Keep it mode 600.",
                               valueName: "path"))
    var apiKeyFile: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 512.") }
        if let maxRate, !(maxRate > 0 && maxRate <= 100_000) {
            throw ValidationError("--max-rate must be a number of requests per second between 0 and 100000, such as 10 or 0.5.")
        }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds.") }
        guard (1...50).contains(maxAttempts) else { throw ValidationError("--max-attempts must be between 1 and 50.") }
        guard maxRetryAfter >= 0, maxRetryAfter <= 86_400 else { throw ValidationError("--max-retry-after must be between 0 and 86400 seconds.") }
    }

    func run() async throws {
        let baseURL: BaseURL
        do {
            baseURL = try BaseURL(self.baseURL ?? provider.defaultBaseURL)
        } catch {
            throw Exit.fail(error.description, code: Exit.usage)
        }
        let apiKey: String
        do {
            apiKey = try APIKey.read(file: apiKeyFile, provider: provider) { warning in
                FileHandle.standardError.write(Data("archive: warning: \(warning)\n".utf8))
            }
        } catch {
            throw Exit.fail(error.description, code: Exit.usage)
        }
        let retry = RetryPolicy(maxAttempts: maxAttempts, retryAfterCeiling: .milliseconds(Int64(maxRetryAfter * 1000)))
        let configuration = SyncConfiguration(
            provider: provider, baseURL: baseURL, apiKey: apiKey, concurrency: concurrency, maxRate: maxRate, refresh: refresh,
            timeout: .milliseconds(Int64(timeout * 1000)), retry: retry, source: source)
        let code = try await SyncRunner.run(configuration, source: source, databasePath: database.path,
                                            verbose: output.verbose, progress: !output.quiet)
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

/// Runs a sync for the command line: opens everything, traps signals, shows
/// progress, prints the summary, and turns the outcome into an exit code.
enum SyncRunner {
    static func run(_ configuration: SyncConfiguration, source: String, databasePath: String,
                    verbose: Bool, progress showProgress: Bool) async throws -> Int32 {
        let ids: IDListSource
        do {
            ids = try IDListSource(path: source)
        } catch {
            throw Exit.fail(error.description, code: Exit.usage)
        }
        let store: ArchiveStore
        do {
            store = try ArchiveStore.open(path: databasePath)
        } catch {
            throw Exit.fail(error)
        }
        var logger = Logger(label: "archive")
        logger.logLevel = verbose ? .debug : .warning
        let engine = SyncEngine(store: store, configuration: configuration, logger: logger)
        let signals = SignalTrap { engine.stop(signal: $0) }
        let progress = ProgressLine(engine: engine, enabled: showProgress && isatty(STDERR_FILENO) == 1)
        let report: SyncReport
        do {
            report = try await engine.run(ids)
        } catch {
            progress.finish()
            throw Exit.fail(error)
        }
        progress.finish()
        signals.cancel()
        print(SyncSummary.text(report, provider: configuration.provider, databasePath: databasePath))
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
