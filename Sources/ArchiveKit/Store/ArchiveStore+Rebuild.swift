import Foundation
import GRDB

/// What a rebuild did.
public struct RebuildReport: Sendable {
    public var calls = 0
    /// Calls whose stored body no longer decodes, or does not name the call; their rows were left as they were.
    public var failed: [(provider: String, callID: String, error: String)] = []
}

extension ArchiveStore {
    /// Re-derives every normalized table (calls' columns, turns, latencies,
    /// analysis, fields, and the full-text indexes through their triggers) from
    /// `calls.raw_json`, with no network: a new column or a fixed adapter
    /// applies to every archived call. Calls are rewritten `batchSize` per
    /// transaction, each in its own savepoint, keeping `fetched_at`, the local
    /// `id` (so recordings stay attached) and `sync_failures`.
    @discardableResult
    public func rebuild(batchSize: Int = 500, progress: (@Sendable (Int) -> Void)? = nil) throws(StoreError) -> RebuildReport {
        var report = RebuildReport()
        var after: Int64 = 0
        try mapped {
            while true {
                let (count, last, failed) = try writer.write { db -> (Int, Int64?, [(String, String, String)]) in
                    let rows = try Row.fetchAll(db.cachedStatement(sql: """
                        SELECT id, provider, call_id, raw_json, fetched_at FROM calls WHERE id > ? ORDER BY id LIMIT ?
                        """), arguments: [after, batchSize])
                    var failed: [(String, String, String)] = []
                    for row in rows {
                        let providerName: String = row["provider"], callID: String = row["call_id"]
                        guard let provider = Provider(rawValue: providerName) else { continue }
                        do {
                            let call = try provider.adapter.decode(body: row["raw_json"], requestedID: callID)
                            // A placeholder body (`{}`) decodes to an empty call: it must not wipe the rows.
                            guard call.bodyNamesCall else {
                                failed.append((providerName, callID, "the stored body does not name this call, so there is nothing to derive from it"))
                                continue
                            }
                            try db.inSavepoint {
                                try Self.upsert(call, fetchedAt: row["fetched_at"], db: db, clearingFailure: false)
                                return .commit
                            }
                        } catch let error as DecodeError {
                            failed.append((providerName, callID, error.description))
                        }
                    }
                    return (rows.count, rows.last?["id"], failed)
                }
                report.calls += count - failed.count
                report.failed += failed.map { (provider: $0.0, callID: $0.1, error: $0.2) }
                progress?(report.calls)
                guard let last, count == batchSize else { break }
                after = last
            }
            try writer.write { db in try db.execute(sql: "DELETE FROM pending_work WHERE task = 'rebuild'") }
        }
        return report
    }

    /// Runs a rebuild a migration asked for (`pending_work`), if any.
    func runPendingWork() throws(StoreError) {
        let pending = try mapped {
            try writer.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM pending_work WHERE task = 'rebuild'") ?? false }
        }
        if pending { try rebuild() }
    }
}
