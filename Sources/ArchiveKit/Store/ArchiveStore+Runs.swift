import Foundation
import GRDB

/// The counts a sync keeps, written to `sync_runs` and printed as its summary.
public struct SyncCounts: Sendable, Equatable {
    public var idsRead = 0
    public var fetched = 0
    public var skipped = 0
    public var failed = 0
    public var invalidLines = 0
    public var requests = 0
    public var recordings = 0
    public var recordingFailures = 0
    public var recordingBytes = 0

    public init() {}
}

extension ArchiveStore {
    /// Records the start of a sync and returns its `run_id`.
    public func beginRun(provider: Provider, baseURL: String, source: String, at date: Date = Date()) throws(StoreError) -> Int64 {
        try mapped {
            try writer.write { db in
                try db.execute(
                    sql: "INSERT INTO sync_runs (provider, base_url, source, started_at) VALUES (?, ?, ?, ?)",
                    arguments: [provider.rawValue, baseURL, source, Timestamp.format(date)])
                return db.lastInsertedRowID
            }
        }
    }

    public func finishRun(_ runID: Int64, counts: SyncCounts, outcome: String, at date: Date = Date()) throws(StoreError) {
        try mapped {
            try writer.write { db in
                try db.execute(sql: """
                    UPDATE sync_runs SET finished_at = ?, outcome = ?, ids_read = ?, fetched = ?, skipped = ?,
                        failed = ?, invalid_lines = ?, requests = ?, recordings = ?, recording_failures = ?, recording_bytes = ?
                    WHERE run_id = ?
                    """,
                    arguments: [Timestamp.format(date), outcome, counts.idsRead, counts.fetched, counts.skipped,
                                counts.failed, counts.invalidLines, counts.requests, counts.recordings,
                                counts.recordingFailures, counts.recordingBytes, runID])
            }
        }
    }

    /// Which of `ids` are archived in a final state, so a sync can skip them.
    public func finalIDs(provider: Provider, among ids: [String]) throws(StoreError) -> Set<String> {
        try mapped {
            try writer.read { db in
                let statement = try db.cachedStatement(
                    sql: "SELECT 1 FROM calls WHERE provider = ? AND call_id = ? AND is_final = 1")
                var found = Set<String>()
                for id in ids where try Bool.fetchOne(statement, arguments: [provider.rawValue, id]) != nil {
                    found.insert(id)
                }
                return found
            }
        }
    }

    func mapped<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw StoreError(error, path: path ?? ":memory:")
        }
    }
}
