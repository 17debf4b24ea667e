import ArgumentParser
import ArchiveKit
import Foundation

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Re-derive every normalized table from the stored vendor bodies, with no network.",
        discussion: """
            Rewrites each call's columns, turns, latencies, analysis and fields (and the search indexes) from \
            calls.raw_json, in one transaction (interrupted, it leaves the archive as it was), writing only the \
            rows that come out different and keeping fetched_at and recordings. Use it after an upgrade that \
            derives more from the bodies; migrations that need it run it by themselves.
            """)

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let start = ContinuousClock.now
        let path = try database.path
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        let report = try ArchiveStore.open(path: path).rebuild()
        let seconds = (ContinuousClock.now - start).seconds
        print("Rebuilt \(report.calls) call(s) from their stored bodies in \(String(format: "%.1f", seconds)) s.")
        guard !report.failed.isEmpty else { return }
        print("\(report.failed.count) call(s) were left as they were, as their bodies no longer decode:")
        for failure in report.failed.prefix(20) {
            print("  \(failure.provider) \(failure.callID): \(failure.error)")
        }
        throw CommandFailure(exitStatus: .someFailed)
    }
}
