import ArgumentParser
import ArchiveKit
import ArchivePostgres
import Foundation

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Re-derive every normalized table from the stored vendor bodies, with no network.",
        discussion: """
            Rewrites each call's columns, turns, latencies, analysis and fields (and the search indexes) from \
            calls.raw_json, in one transaction (interrupted, it leaves the archive as it was), keeping fetched_at, \
            recordings and sync_failures; on SQLite it writes only the rows that come out different. Use it after an upgrade that \
            derives more from the bodies; migrations that need it run it by themselves.
            """)

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let start = ContinuousClock.now
        let report = switch try database.location {
        case .sqlite(let path):
            try Self.rebuild(path: path)
        case .postgres(let location):
            try await PostgresArchive.with(location) { try await $0.rebuild() }
        }
        let seconds = (ContinuousClock.now - start).seconds
        print("Rebuilt \(report.calls) call(s) from their stored bodies in \(String(format: "%.1f", seconds)) s.")
        guard !report.failed.isEmpty else { return }
        print("\(report.failed.count) call(s) were left as they were, as their bodies no longer decode:")
        for failure in report.failed.prefix(20) {
            print("  \(failure.provider) \(failure.callID): \(failure.error)")
        }
        throw CommandFailure(exitStatus: .someFailed)
    }

    private static func rebuild(path: String) throws -> RebuildReport {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        return try ArchiveStore.open(path: path).rebuild()
    }
}
