import ArgumentParser
import ArchiveKit
import Foundation

/// The call filters `list`, `stats`, `search` and `export` share.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only calls from this vendor: \(Provider.names).")
    var provider: Provider?

    @Option(help: ArgumentHelp("Only calls started at or after this UTC date or date-time (2026-03-01, 2026-03-01T14:00, or with an offset).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only calls started before this date-time; a bare date includes that whole day.", valueName: "time"))
    var until: String?

    @Option(help: "Only calls with this status (repeatable; case-insensitive).")
    var status: [String] = []

    @Option(help: "Only inbound or outbound calls (repeatable).")
    var direction: [String] = []

    @Option(help: "Only calls handled by this assistant ID or name (repeatable).")
    var assistant: [String] = []

    @Option(help: "Only calls with this sentiment (repeatable; case-insensitive).")
    var sentiment: [String] = []

    @Option(help: ArgumentHelp("Only calls at least this long.", valueName: "seconds"))
    var minDuration: Double?

    @Flag(help: "Only calls whose analysis says the task or the call was not 'complete'.")
    var failedTask = false

    func validate() throws {
        _ = try filter()
    }

    /// The filter these options describe; throws a usage error for a bad value.
    func filter() throws -> CallFilter {
        do {
            return try CallFilter(provider: provider, since: since, until: until, statuses: status, directions: direction,
                                  assistants: assistant, sentiments: sentiment, minDurationSeconds: minDuration, failedTask: failedTask)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

extension RowFormat: ExpressibleByArgument {}

/// `--format`, and where rows go.
struct FormatOptions: ParsableArguments {
    @Option(help: ArgumentHelp("table, tsv, json, ndjson or csv.", discussion: "Default: table on a terminal, tsv when piped.", valueName: "format"))
    var format: RowFormat?

    /// The format to use on `output`: as asked, else by whether it is a terminal.
    func resolved(for output: OutputBuffer) -> RowFormat {
        format ?? (output.isTerminal ? .table : .tsv)
    }

    func writer(_ columns: [String], to output: OutputBuffer) -> RowWriter {
        RowWriter(format: resolved(for: output), columns: columns, output: output, maxWidth: output.terminalColumns)
    }
}

/// `--limit`: 0 means no limit.
func limitValue(_ limit: Int) -> Int? { limit == 0 ? nil : limit }
