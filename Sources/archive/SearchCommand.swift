import ArgumentParser
import ArchiveKit

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Full-text search of transcripts and analysis summaries, best match first.",
        discussion: """
            QUERY is FTS5 syntax: words (all must match), "an exact phrase", OR, NOT, AND, refund* for a prefix, \
            NEAR(refund angry, 5). Word forms match (refund finds refunds and refunded); case and accents are ignored. \
            Matches are marked [like this] in the snippet. \
            JSON keys: provider, call_id, started_at, role, turn_index, snippet, score (higher is better).
            """)

    @Argument(help: "What to search for.")
    var query: String

    @Flag(help: "Search for the text exactly as written, as one phrase, instead of reading it as FTS5 syntax.")
    var literal = false

    @OptionGroup var filters: FilterOptions

    @Option(help: "How many matches to print; 0 for all.")
    var limit = 20

    @OptionGroup var format: FormatOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("give something to search for.")
        }
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (no limit) or more.") }
    }

    func run() async throws {
        let (query, literal, filter, limit) = (query, literal, try filters.filter(), limitValue(limit))
        let results = try await database.withQueries { store in
            try await store.search(query, literal: literal, filter: filter, limit: limit, markers: CallSearch.markers)
        }
        let output = OutputBuffer()
        results.write(to: format.writer(results.columns, to: output))
        if results.rows.isEmpty && output.isTerminal { note("No matches.") }
    }
}
