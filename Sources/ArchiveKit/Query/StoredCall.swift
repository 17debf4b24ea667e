import GRDB

/// One archived call read back from the database, for `show` and exports.
/// It reads the normalized tables (not the raw body), so it shows exactly
/// what SQL users see.
public struct StoredCall: Sendable {
    /// The `calls` row, with its turns (and their latencies), analysis, fields and call-level latency samples as stored.
    public var call: NormalizedCall
    /// The `recordings` row of the mono recording, when it is archived.
    public var recording: RecordingRow?
    /// The two-party recording's row (Retell multichannel, Vapi stereo), when archived.
    public var twoPartyRecording: RecordingRow?

    /// The vendor's body, byte for byte.
    public var rawJSON: String { call.rawJSON }

    /// Reads one call on a connection already in use (as `export` does while
    /// it walks a cursor). Statements are cached: an export runs them per call.
    static func fetch(provider: Provider, id: String, _ db: Database) throws -> StoredCall? {
        let key: StatementArguments = [provider, id]
        guard var call = try NormalizedCall.fetchOne(db.cachedStatement(sql: "SELECT * FROM calls WHERE provider = ? AND call_id = ?"),
                                                     arguments: key)
        else { return nil }
        call.turns = try NormalizedCall.Turn.fetchAll(db.cachedStatement(sql: """
            SELECT t.*, l.latency, l.eou_delay, l.llm_latency, l.tts_latency
            FROM transcript_turns t
            LEFT JOIN turn_latencies l ON l.turn_ref = t.id
            WHERE t.provider = ? AND t.call_id = ?
            ORDER BY t.turn_index
            """), arguments: key)
        call.analysis = try NormalizedCall.Analysis.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM call_analysis WHERE provider = ? AND call_id = ?"), arguments: key)
        call.fields = try NormalizedCall.Field.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM post_analysis_fields WHERE provider = ? AND call_id = ? ORDER BY position"),
            arguments: key)
        call.latencySamples = try NormalizedCall.LatencySample.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM call_latency_samples WHERE provider = ? AND call_id = ? ORDER BY metric, position"),
            arguments: key)
        let recordings = try RecordingRow.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM recordings WHERE provider = ? AND call_id = ? ORDER BY variant"), arguments: key)
        return StoredCall(call: call, recording: recordings.first { $0.variant == .mono },
                          twoPartyRecording: recordings.first { $0.variant != .mono })
    }
}

extension ArchiveStore {
    /// The providers holding a call with this ID (usually one).
    public func providers(holding id: String) throws -> [Provider] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT provider FROM calls WHERE call_id = ? ORDER BY provider", arguments: [id])
                .compactMap(Provider.init(rawValue:))
        }
    }

    /// One archived call, as its tables hold it.
    public func storedCall(provider: Provider, id: String) throws -> StoredCall? {
        try read { db in try StoredCall.fetch(provider: provider, id: id, db) }
    }
}
