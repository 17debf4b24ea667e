import ArgumentParser
import ArchiveKit

extension CallStats.Grouping: ExpressibleByArgument {}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts, completion and interruption rates, and exact duration and latency percentiles.",
        discussion: """
            Percentiles are nearest-rank and exact: p90 is the value at rank ⌈0.9·n⌉ of the sorted data. \
            Latencies are in the vendor's unit (seconds in PureTalk's reference). \
            --format json/ndjson print one document per group; csv/tsv print group, metric, value rows.
            """)

    @OptionGroup var filters: FilterOptions

    @Option(help: "Break the figures down by assistant, provider, day or direction.")
    var by: CallStats.Grouping?

    @OptionGroup var format: FormatOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (filter, by) = (try filters.filter(), by)
        let groups = try await database.withQueries { store in try await store.stats(filter, by: by) }
        let output = OutputBuffer()
        switch format.resolved(for: output) {
        case .table:
            output.write(StatsReport.text(groups, by: by))
        case .json:
            output.write(JSONValue.array(groups.map { StatsReport.json($0, by: by) }).prettyText + "\n")
        case .ndjson:
            for group in groups { output.write(StatsReport.json(group, by: by).jsonText + "\n") }
        case .csv, .tsv:
            let rows = StatsReport.rows(groups, by: by)
            rows.write(to: format.writer(rows.columns, to: output))
        }
        output.flush()
    }
}
