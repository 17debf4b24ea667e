import ArgumentParser
import ArchiveKit
import Foundation

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List archived calls, newest first.",
        discussion: "JSON keys: started_at, provider, call_id, direction, duration_s, status, sentiment, summary.")

    @OptionGroup var filters: FilterOptions

    @Option(help: "How many calls to list; 0 for all.")
    var limit = 50

    @OptionGroup var format: FormatOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (no limit) or more.") }
    }

    func run() async throws {
        let (filter, limit, format) = (try filters.filter(), limitValue(limit), format)
        let output = OutputBuffer()
        let count = try await database.withQueries { store in
            try await store.list(filter, limit: limit) { format.writer($0, to: output) }
        }
        if count == 0 && output.isTerminal { note("No calls match.") }
    }
}

/// A remark for the person at the terminal, on stderr so pipes stay clean.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
