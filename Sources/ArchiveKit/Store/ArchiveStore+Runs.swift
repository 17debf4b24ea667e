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
    public func beginRun(provider: Provider, baseURL: String, source: String, at date: Date = Date()) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: "INSERT INTO sync_runs (provider, base_url, source, started_at) VALUES (?, ?, ?, ?)",
                arguments: [provider.rawValue, baseURL, source, Timestamp.format(date)])
            return db.lastInsertedRowID
        }
    }

    public func finishRun(_ runID: Int64, counts: SyncCounts, outcome: String, at date: Date = Date()) throws {
        try write { db in
            try db.execute(sql: SyncCounts.finishSQL,
                           arguments: counts.arguments(supplying: [Timestamp.format(date), outcome]) + [runID])
        }
    }

    /// Which of `ids` are archived in a final state, so a sync can skip them.
    public func finalIDs(provider: Provider, among ids: [String]) throws -> Set<String> {
        try read { db in
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
