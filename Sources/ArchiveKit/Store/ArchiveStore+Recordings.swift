import Foundation
import GRDB

/// An archived recording, as `recordings` holds it.
public struct RecordingRow: Sendable, Equatable {
    public var provider: Provider
    public var callID: String
    public var sha256: String
    public var size: Int
    public var contentType: String?
    /// The path inside the recordings directory.
    public var file: String
    public var sourceURL: String
    public var fetchedAt: String?
}

/// A recording that could not be archived, as `recording_failures` holds it.
public struct RecordingFailure: Sendable, Equatable {
    public var provider: Provider
    public var callID: String
    public var httpStatus: Int?
    public var error: String
    public var attempts: Int
}

extension ArchiveStore {
    static func saveRecording(_ row: RecordingRow, fetchedAt: String, db: Database) throws {
        // Through the call's own row, so a recording never outlives or precedes its call.
        try db.cachedStatement(sql: """
            INSERT INTO recordings (call_ref, provider, call_id, sha256, size_bytes, content_type, file, source_url, fetched_at)
            SELECT id, provider, call_id, ?, ?, ?, ?, ?, ? FROM calls WHERE provider = ? AND call_id = ?
            ON CONFLICT (call_ref) DO UPDATE SET sha256 = excluded.sha256, size_bytes = excluded.size_bytes,
                content_type = excluded.content_type, file = excluded.file, source_url = excluded.source_url,
                fetched_at = excluded.fetched_at
            """).execute(arguments: [row.sha256, row.size, row.contentType, row.file, row.sourceURL, fetchedAt,
                                     row.provider.rawValue, row.callID])
        try db.cachedStatement(sql: "DELETE FROM recording_failures WHERE provider = ? AND call_id = ?")
            .execute(arguments: [row.provider.rawValue, row.callID])
    }

    static func recordRecordingFailure(_ failure: RecordingFailure, runID: Int64?, at time: String, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO recording_failures (provider, call_id, http_status, error, attempts, last_attempt_at, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (provider, call_id) DO UPDATE SET http_status = excluded.http_status, error = excluded.error,
                attempts = excluded.attempts, last_attempt_at = excluded.last_attempt_at, run_id = excluded.run_id
            """).execute(arguments: [failure.provider.rawValue, failure.callID, failure.httpStatus, failure.error,
                                     failure.attempts, time, runID])
    }

    /// The recording links of those `ids` that are archived in a final state
    /// with a link but without their recording.
    public func missingRecordings(provider: Provider, among ids: some Collection<String>) throws(StoreError) -> [String: String] {
        try mapped {
            try writer.read { db in
                let statement = try db.cachedStatement(sql: """
                    SELECT recording_url FROM calls c
                    WHERE provider = ? AND call_id = ? AND is_final = 1 AND recording_url IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id)
                    """)
                var links: [String: String] = [:]
                for id in ids {
                    if let url = try String.fetchOne(statement, arguments: [provider.rawValue, id]) { links[id] = url }
                }
                return links
            }
        }
    }

    /// Which of `ids` have their recording archived already.
    public func archivedRecordings(provider: Provider, among ids: some Collection<String>) throws(StoreError) -> Set<String> {
        try mapped {
            try writer.read { db in
                let statement = try db.cachedStatement(sql: "SELECT 1 FROM recordings WHERE provider = ? AND call_id = ?")
                var found = Set<String>()
                for id in ids where try Bool.fetchOne(statement, arguments: [provider.rawValue, id]) != nil { found.insert(id) }
                return found
            }
        }
    }

    /// Up to `limit` IDs of ended calls still missing their recording, after `afterID`
    /// in ID order: `archive recordings` walks them page by page.
    public func callsMissingRecordings(provider: Provider, after afterID: String?, limit: Int) throws(StoreError) -> [String] {
        try mapped {
            try writer.read { db in
                try String.fetchAll(db, sql: """
                    SELECT call_id FROM calls c
                    WHERE provider = ? AND call_id > ? AND (is_final = 1 OR ended_at IS NOT NULL) AND recording_url IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id)
                    ORDER BY call_id LIMIT ?
                    """, arguments: [provider.rawValue, afterID ?? "", limit])
            }
        }
    }

    /// The archived recording of a call; `provider` is needed only when both vendors use the ID.
    public func recording(callID: String, provider: Provider? = nil) throws(StoreError) -> [RecordingRow] {
        try mapped {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT provider, call_id, sha256, size_bytes, content_type, file, source_url, fetched_at FROM recordings
                    WHERE call_id = ? AND (? IS NULL OR provider = ?)
                    """, arguments: [callID, provider?.rawValue, provider?.rawValue]).compactMap { row in
                    guard let provider = Provider(rawValue: row["provider"]) else { return nil }
                    return RecordingRow(provider: provider, callID: row["call_id"], sha256: row["sha256"], size: row["size_bytes"],
                                        contentType: row["content_type"], file: row["file"], sourceURL: row["source_url"],
                                        fetchedAt: row["fetched_at"])
                }
            }
        }
    }
}
