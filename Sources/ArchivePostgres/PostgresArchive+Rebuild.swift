import ArchiveKit
import Foundation

extension PostgresArchive {
    /// Re-derives every call's columns and child rows from `calls.raw_json`,
    /// as `ArchiveStore.rebuild` does: one transaction (interrupted, the
    /// archive stays as it was), keeping `fetched_at`, the local `id` (so
    /// recordings stay attached) and `sync_failures`. Each call is written
    /// whole through the sync's own statements (`PortableWrites`); unlike the
    /// SQLite store it does not first compare what is stored, so it rewrites
    /// every row.
    public func rebuild(batchSize: Int = 500) async throws -> RebuildReport {
        try await transaction { connection in
            let runner = ConnectionRunner(archive: self, connection: connection)
            var report = RebuildReport()
            var after: Int64 = 0
            while true {
                let rows = try await self.run(RebuildStatements.page(after: after, limit: batchSize, in: TransferPlan(.postgres)), on: connection)
                    .compactMap(RebuildStatements.StoredCall.init(values:))
                var calls: [(call: NormalizedCall, fetchedAt: String)] = []
                for row in rows {
                    after = row.id
                    guard let call = report.derive(row) else { continue }
                    calls.append((call, row.fetchedAt))
                }
                try await PortableWrites.upsert(calls, keepingFailures: true, on: runner)
                report.calls += calls.count
                guard rows.count == batchSize else { break }
            }
            _ = try await self.run(RebuildStatements.finished, on: connection)
            return report
        }
    }

    /// Runs a rebuild a migration asked for (`pending_work`), as the SQLite
    /// store does on opening; before the command's own work.
    func runPendingWork() async throws {
        if try await !run(RebuildStatements.pending).isEmpty { _ = try await rebuild() }
    }
}
