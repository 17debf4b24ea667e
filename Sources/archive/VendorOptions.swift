import ArgumentParser
import ArchiveKit
import Foundation

/// The options of every command that talks to a vendor: which one, where,
/// with which key, and how patiently.
struct VendorOptions: ParsableArguments {
    @Option(help: "The vendor: \(Provider.names).")
    var provider: Provider

    @Option(help: ArgumentHelp("The vendor API's base URL, for self-hosting and tests.", valueName: "url"))
    var baseURL: String?

    @Option(help: ArgumentHelp("Seconds to wait for one answer (for a recording: the longest pause mid-download).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: "Attempts per request before it is recorded as failed.")
    var maxAttempts = 5

    @Option(help: ArgumentHelp("The longest Retry-After to obey, in seconds; longer ones are cut to this and reported.",
                               valueName: "seconds"))
    var maxRetryAfter: Double = 60

    @Option(help: ArgumentHelp("Read the API key from this file (first line) instead of the environment. Keep it mode 600.",
                               valueName: "path"))
    var apiKeyFile: String?

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds.") }
        guard (1...50).contains(maxAttempts) else { throw ValidationError("--max-attempts must be between 1 and 50.") }
        guard maxRetryAfter >= 0, maxRetryAfter <= 86_400 else { throw ValidationError("--max-retry-after must be between 0 and 86400 seconds.") }
    }

    var retry: RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, retryAfterCeiling: .milliseconds(Int64(maxRetryAfter * 1000)))
    }

    var timeoutDuration: Duration { .milliseconds(Int64(timeout * 1000)) }

    /// The base URL and key, or a `ConfigurationError` (exit 2) naming what is wrong.
    func endpoint() throws(ConfigurationError) -> (baseURL: BaseURL, apiKey: String) {
        let baseURL = try BaseURL(self.baseURL ?? provider.defaultBaseURL)
        let apiKey = try APIKey.read(file: apiKeyFile, provider: provider) { warning in
            FileHandle.standardError.write(Data("archive: warning: \(warning)\n".utf8))
        }
        return (baseURL, apiKey)
    }
}

/// How many requests a sync keeps in flight, and how fast it may start them.
struct PaceOptions: ParsableArguments {
    @Option(help: "The most requests in flight at once; fewer while the vendor answers HTTP 429.")
    var concurrency = 8

    @Option(help: ArgumentHelp("Start at most this many requests per second, for a known quota.", valueName: "per-second"))
    var maxRate: Double?

    func validate() throws {
        guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 512.") }
        if let maxRate, !(maxRate > 0 && maxRate <= 100_000) {
            throw ValidationError("--max-rate must be a number of requests per second between 0 and 100000, such as 10 or 0.5.")
        }
    }
}

/// Where recordings are archived.
struct RecordingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The recordings directory.", discussion: "Default: <db>.recordings beside the archive file.",
                               valueName: "path"))
    var recordingsDir: String?

    /// `--recordings-dir`, else the directory beside the archive file. A
    /// PostgreSQL archive has no file to sit beside: it needs the option.
    func directory(database: DatabaseOptions) throws -> String {
        if let recordingsDir { return recordingsDir }
        switch try database.location {
        case .sqlite(let path):
            return RecordingStore.defaultDirectory(forDatabase: path)
        case .postgres:
            throw CommandFailure("a PostgreSQL archive keeps its recordings in a directory of your choosing: pass --recordings-dir (a shared mount, for a team).", .usage)
        }
    }
}

extension SyncConfiguration {
    init(_ vendor: VendorOptions, _ pace: PaceOptions, endpoint: (baseURL: BaseURL, apiKey: String), refresh: Bool,
         source: String, recordings: RecordingStore?) {
        self.init(provider: vendor.provider, baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, concurrency: pace.concurrency,
                  maxRate: pace.maxRate, refresh: refresh, timeout: vendor.timeoutDuration, retry: vendor.retry, source: source,
                  recordings: recordings)
    }
}
