import GRDB

extension SyncFailure: ArchiveRecord {
    static let databaseTableName = "sync_failures"
    static let suppliedColumns = ["last_attempt_at", "run_id"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case provider, callID = "call_id", httpStatus = "http_status", error, attempts, responseBody = "response_body"
    }

    static let upsertSQL = makeUpsertSQL(conflict: [.provider, .callID])

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .provider: provider
        case .callID: callID
        case .httpStatus: httpStatus
        case .error: error
        case .attempts: attempts
        case .responseBody: responseBody
        }
    }

    public init(row: Row) throws {
        self.init(provider: try Provider.fromDatabase(row[Columns.provider]), callID: row[Columns.callID],
                  httpStatus: row[Columns.httpStatus], error: row[Columns.error], attempts: row[Columns.attempts],
                  responseBody: row[Columns.responseBody])
    }
}

extension RecordingFailure: ArchiveRecord {
    static let databaseTableName = "recording_failures"
    static let suppliedColumns = ["last_attempt_at", "run_id"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case provider, callID = "call_id", variant, httpStatus = "http_status", error, attempts
    }

    static let upsertSQL = makeUpsertSQL(conflict: [.provider, .callID, .variant])

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .provider: provider
        case .callID: callID
        case .variant: variant
        case .httpStatus: httpStatus
        case .error: error
        case .attempts: attempts
        }
    }

    public init(row: Row) throws {
        self.init(provider: try Provider.fromDatabase(row[Columns.provider]), callID: row[Columns.callID],
                  variant: row[Columns.variant] ?? .mono, httpStatus: row[Columns.httpStatus], error: row[Columns.error],
                  attempts: row[Columns.attempts])
    }
}

extension RecordingRow: ArchiveRecord {
    static let databaseTableName = "recordings"

    /// `recordings` after its keys (`call_ref`, `provider`, `call_id`, which come from the call's row).
    enum Columns: String, CaseIterable, ColumnExpression {
        case variant, sha256, size = "size_bytes", contentType = "content_type", file, sourceURL = "source_url", fetchedAt = "fetched_at"
    }

    /// Through the call's own row, so a recording never outlives or precedes its call;
    /// the arguments are the row's columns, then its provider and call ID.
    static let upsertSQL: String = {
        let names = Columns.allCases.map(\.rawValue)
        return """
            INSERT INTO recordings (call_ref, provider, call_id, \(names.joined(separator: ", ")))
            SELECT id, provider, call_id, \(CallFilter.placeholders(names.count)) FROM calls WHERE provider = ? AND call_id = ?
            ON CONFLICT (call_ref, variant) DO UPDATE SET \(names.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            """
    }()

    var upsertArguments: StatementArguments {
        arguments() + [provider, callID]
    }

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .variant: variant
        case .sha256: sha256
        case .size: size
        case .contentType: contentType
        case .file: file
        case .sourceURL: sourceURL
        case .fetchedAt: fetchedAt
        }
    }

    public init(row: Row) throws {
        self.init(provider: try Provider.fromDatabase(row["provider"]), callID: row["call_id"], variant: row[Columns.variant] ?? .mono,
                  sha256: row[Columns.sha256],
                  size: row[Columns.size], contentType: row[Columns.contentType], file: row[Columns.file],
                  sourceURL: row[Columns.sourceURL], fetchedAt: row[Columns.fetchedAt])
    }
}

/// A run's counts are its `sync_runs` row's count columns; the rest of the row
/// (provider, source, times, outcome) is the run's, written by `beginRun` and `finishRun`.
extension SyncCounts: ArchiveRecord {
    static let databaseTableName = "sync_runs"
    static let suppliedColumns = ["finished_at", "outcome"]

    enum Columns: String, CaseIterable, ColumnExpression {
        case idsRead = "ids_read", fetched, skipped, failed, invalidLines = "invalid_lines", requests, recordings,
             recordingFailures = "recording_failures", recordingBytes = "recording_bytes"
    }

    /// The run's end: its arguments are `arguments(supplying: [finished_at, outcome])`, then the `run_id`.
    static let finishSQL = "UPDATE sync_runs SET \(writtenColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE run_id = ?"

    func value(_ column: Columns) -> (any DatabaseValueConvertible)? {
        switch column {
        case .idsRead: idsRead
        case .fetched: fetched
        case .skipped: skipped
        case .failed: failed
        case .invalidLines: invalidLines
        case .requests: requests
        case .recordings: recordings
        case .recordingFailures: recordingFailures
        case .recordingBytes: recordingBytes
        }
    }

    public init(row: Row) throws {
        self.init()
        idsRead = row[Columns.idsRead]
        fetched = row[Columns.fetched]
        skipped = row[Columns.skipped]
        failed = row[Columns.failed]
        invalidLines = row[Columns.invalidLines]
        requests = row[Columns.requests]
        recordings = row[Columns.recordings]
        recordingFailures = row[Columns.recordingFailures]
        recordingBytes = row[Columns.recordingBytes]
    }
}
