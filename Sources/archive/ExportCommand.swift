import ArgumentParser
import ArchiveKit
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Stream the archive out: normalized calls as JSON Lines, vendor bodies, or one table as CSV.",
        discussion: """
            By default each line is one call as 'archive show --json' prints it (compact). --raw prints the \
            vendor bodies as stored, one per line. --table T prints one table or view (default format csv, \
            RFC 4180). The filters select calls; for a table they apply through its provider and call_id.
            """)

    @OptionGroup var filters: FilterOptions

    @Option(help: "Export at most this many calls (or rows, with --table); 0 for all.")
    var limit = 0

    @Flag(help: "Print the vendor bodies as stored instead of normalized calls.")
    var raw = false

    @Option(help: ArgumentHelp("Export this table or view instead of calls.", valueName: "name"))
    var table: String?

    @Option(help: ArgumentHelp("With --table: csv (default), tsv, json, ndjson or table.", valueName: "format"))
    var format: RowFormat?

    @Option(help: ArgumentHelp("Write to this file (created readable by you only) instead of standard output.", valueName: "path"))
    var output: String?

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (no limit) or more.") }
        if raw && table != nil { throw ValidationError("--raw and --table cannot be used together.") }
        if format != nil && table == nil {
            throw ValidationError("--format applies to --table exports; calls are always JSON Lines.")
        }
    }

    func run() async throws {
        let out: OutputBuffer
        if let output {
            let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw CommandFailure("cannot write \(output): \(String(cString: strerror(errno))).", .usage)
            }
            out = OutputBuffer(fd: fd)
        } else {
            out = OutputBuffer()
        }
        let (filter, limit, table, raw, format) = (try filters.filter(), limitValue(limit), table, raw, format)
        _ = try await database.withQueries { store in
            if let table {
                try await store.exportTable(table, filter: filter, limit: limit) {
                    RowWriter(format: format ?? .csv, columns: $0, output: out)
                }
            } else if raw {
                try await store.exportRawBodies(filter, limit: limit, to: out)
            } else {
                try await store.exportCalls(filter, limit: limit, to: out)
            }
        }
    }
}
