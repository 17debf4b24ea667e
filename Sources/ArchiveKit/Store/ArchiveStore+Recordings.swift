import Foundation
import GRDB

/// An archived recording, as `recordings` holds it.
public struct RecordingRow: Sendable, Equatable {
    public var provider: Provider
    public var callID: String
    public var variant: RecordingVariant = .mono
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
    public var variant: RecordingVariant = .mono
    public var httpStatus: Int?
    public var error: String
    public var attempts: Int
}

extension ArchiveStore {
    static func saveRecording(_ row: RecordingRow, fetchedAt: String, db: Database) throws {
        var row = row
        row.fetchedAt = fetchedAt
        try db.cachedStatement(sql: RecordingRow.upsertSQL).execute(arguments: row.upsertArguments)
        try db.cachedStatement(sql: "DELETE FROM recording_failures WHERE provider = ? AND call_id = ? AND variant = ?")
            .execute(arguments: [row.provider, row.callID, row.variant])
    }

    static func recordRecordingFailure(_ failure: RecordingFailure, runID: Int64?, at time: String, db: Database) throws {
        try db.cachedStatement(sql: RecordingFailure.upsertSQL).execute(arguments: failure.arguments(supplying: [time, runID]))
    }

    /// The recording links of those `ids` that are archived in a final state
    /// with a link but without their (mono) recording.
    public func missingRecordings(provider: Provider, among ids: Set<String>) throws -> [String: String] {
        try read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT recording_url FROM calls c
                WHERE provider = ? AND call_id = ? AND is_final = 1 AND recording_url IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id AND r.variant = 'mono')
                """)
            var links: [String: String] = [:]
            for id in ids {
                if let url = try String.fetchOne(statement, arguments: [provider.rawValue, id]) { links[id] = url }
            }
            return links
        }
    }

    /// Which of `ids` have their (mono) recording archived already.
    public func archivedRecordings(provider: Provider, among ids: [String]) throws -> Set<String> {
        try read { db in
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM recordings WHERE provider = ? AND call_id = ? AND variant = 'mono'")
            var found = Set<String>()
            for id in ids where try Bool.fetchOne(statement, arguments: [provider.rawValue, id]) != nil { found.insert(id) }
            return found
        }
    }

    /// Up to `limit` IDs of ended calls still missing their (mono) recording, after `afterID`
    /// in ID order: `archive recordings` walks them page by page.
    public func callsMissingRecordings(provider: Provider, after afterID: String?, limit: Int) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT call_id FROM calls c
                WHERE provider = ? AND call_id > ? AND (is_final = 1 OR ended_at IS NOT NULL) AND recording_url IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id AND r.variant = 'mono')
                ORDER BY call_id LIMIT ?
                """, arguments: [provider.rawValue, afterID ?? "", limit])
        }
    }

    /// The archived recording with these bytes, if the `recordings` table lists
    /// one: the viewer serves a file only through this row, never by a path.
    public func recording(sha256: String) throws -> RecordingRow? {
        try read { db in
            try RecordingRow.fetchOne(db, sql: "SELECT * FROM recordings WHERE sha256 = ? ORDER BY call_ref, variant LIMIT 1", arguments: [sha256])
        }
    }

    /// The archived recording of a call in one variant; `provider` is needed only when several vendors use the ID.
    public func recording(callID: String, provider: Provider? = nil, variant: RecordingVariant = .mono) throws -> [RecordingRow] {
        try read { db in
            try RecordingRow.fetchAll(db, sql: "SELECT * FROM recordings WHERE call_id = ? AND (? IS NULL OR provider = ?) AND variant = ?",
                                      arguments: [callID, provider, provider, variant])
        }
    }
}
