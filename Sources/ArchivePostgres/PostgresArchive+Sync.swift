import ArchiveKit
import Foundation
import PostgresNIO

/// The PostgreSQL archive as the sync engine's store. Several syncs, on
/// several machines, may write into it at once:
/// - a batch is one transaction, so a call is stored whole or not at all; a
///   call the archive refuses (a constraint, a value PostgreSQL cannot hold)
///   becomes a failure, as on SQLite (the batch is then run again with a
///   savepoint per call);
/// - a batch takes its calls' row locks in one order (by provider and call ID),
///   so two syncs writing the same calls wait for each other instead of deadlocking;
/// - a batch that fails for a reason that is not its own (a deadlock all the
///   same, a serialization failure, a lost connection) is run again, from the
///   start, and so is a read (`retrying`).
extension PostgresArchive: SyncStore {
    public func beginRun(provider: Provider, baseURL: String, source: String, at date: Date) async throws -> Int64 {
        let rows = try await run(PortableWrites.beginRun(provider: provider, baseURL: baseURL, source: source, at: date))
        guard case .integer(let id)? = rows.first?.first else { throw PortableWriteError.noRowKey }
        return id
    }

    public func finishRun(_ runID: Int64, counts: SyncCounts, outcome: String, at date: Date) async throws {
        _ = try await retrying { try await run(PortableWrites.finishRun(runID, counts: counts, outcome: outcome, at: date)) }
    }

    public func finalIDs(provider: Provider, among ids: [String]) async throws -> Set<String> {
        try await callIDs("SELECT call_id FROM calls WHERE provider = $1 AND call_id = ANY($2) AND is_final", provider, ids)
    }

    public func missingRecordings(provider: Provider, among ids: Set<String>) async throws -> [String: String] {
        let query: PostgresQuery = """
            SELECT call_id, recording_url FROM calls c
            WHERE provider = \(provider.rawValue) AND call_id = ANY(\(Array(ids))) AND is_final AND recording_url IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id AND r.variant = 'mono')
            """
        var links: [String: String] = [:]
        for row in try await retrying({ try await rows(query, kinds: [.text, .text]) }) {
            if case .text(let id) = row[0], case .text(let url) = row[1] { links[id] = url }
        }
        return links
    }

    public func callsMissingRecordings(provider: Provider, after afterID: String?, limit: Int) async throws -> [String] {
        let query: PostgresQuery = """
            SELECT call_id FROM calls c
            WHERE provider = \(provider.rawValue) AND call_id COLLATE "C" > \(afterID ?? "") AND (is_final OR ended_at IS NOT NULL)
              AND recording_url IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.call_ref = c.id AND r.variant = 'mono')
            ORDER BY call_id COLLATE "C" LIMIT \(limit)
            """
        return try await retrying { try await rows(query, kinds: [.text]) }.compactMap { row in if case .text(let id) = row[0] { id } else { nil } }
    }

    public func archivedRecordings(provider: Provider, among ids: [String]) async throws -> Set<String> {
        try await callIDs("SELECT call_id FROM recordings WHERE provider = $1 AND call_id = ANY($2) AND variant = 'mono'", provider, ids)
    }

    /// Transactions one batch is written in at once, each on a connection of its own.
    static let writers = 4

    /// A batch is cut into up to `writers` parts, written at once: PostgreSQL
    /// answers each statement in turn, so one connection spends most of its
    /// time waiting for the round trip, while several keep the server busy.
    /// Each part is a transaction of whole calls, so a call is still stored
    /// whole or not at all.
    public func save(_ batch: [SyncRecord], runID: Int64?, now: Date) async throws -> [SyncFailure] {
        let fetchedAt = Timestamp.format(now)
        let parts = Self.partition(batch, into: Self.writers)
        guard parts.count > 1 else { return try await save(part: parts.first ?? [], runID: runID, fetchedAt: fetchedAt) }
        return try await withThrowingTaskGroup(of: [SyncFailure].self) { group in
            for part in parts {
                group.addTask { try await self.save(part: part, runID: runID, fetchedAt: fetchedAt) }
            }
            var refused: [SyncFailure] = []
            for try await failures in group { refused += failures }
            return refused
        }
    }

    /// The batch in lock order (provider, call ID), cut into up to `count`
    /// runs of whole keys, fewer when a run would hold under `minimumPart`
    /// records (a transaction's commit is not free): a call's
    /// records (its body, recordings, failures) stay in one part, and the parts
    /// lock disjoint rows in one order, so they cannot deadlock each other.
    static func partition(_ batch: [SyncRecord], into count: Int, minimumPart: Int = 16) -> [[SyncRecord]] {
        let ordered = batch.sorted { $0.lockOrder < $1.lockOrder }
        let parts = max(1, min(count, ordered.count / minimumPart))
        let target = (ordered.count + parts - 1) / parts
        var cut: [[SyncRecord]] = []
        var current: [SyncRecord] = []
        for record in ordered {
            if current.count >= target, let last = current.last, last.lockOrder != record.lockOrder {
                cut.append(current)
                current = []
            }
            current.append(record)
        }
        if !current.isEmpty { cut.append(current) }
        return cut
    }

    /// A part runs first without savepoints (two round trips a call fewer);
    /// only if PostgreSQL refuses one of its calls does it run again, with a
    /// savepoint per call, so that the refused call alone becomes a failure.
    private func save(part ordered: [SyncRecord], runID: Int64?, fetchedAt: String) async throws -> [SyncFailure] {
        try await retrying {
            do {
                return try await write(ordered, runID: runID, fetchedAt: fetchedAt, savepoints: false)
            } catch let error as PostgresStoreError where error.isTheCallsOwn {
                return try await write(ordered, runID: runID, fetchedAt: fetchedAt, savepoints: true)
            }
        }
    }

    private func write(_ ordered: [SyncRecord], runID: Int64?, fetchedAt: String, savepoints: Bool) async throws -> [SyncFailure] {
        try await transaction { connection in
            let runner = ConnectionRunner(archive: self, connection: connection)
            var refused: [SyncFailure] = []
            // Without savepoints, consecutive calls are written together; any other record waits its turn.
            var calls: [NormalizedCall] = []
            for record in ordered {
                if case .archived(let call) = record, !savepoints {
                    calls.append(call)
                    continue
                }
                try await PortableWrites.upsert(calls, fetchedAt: fetchedAt, on: runner)
                calls = []
                switch record {
                case .archived(let call):
                    _ = try await runner.run("SAVEPOINT call")
                    do {
                        try await PortableWrites.upsert([call], fetchedAt: fetchedAt, on: runner)
                        _ = try await runner.run("RELEASE SAVEPOINT call")
                    } catch let error as PostgresStoreError where error.isTheCallsOwn {
                        _ = try await runner.run("ROLLBACK TO SAVEPOINT call")
                        let failure = SyncFailure(provider: call.provider, callID: call.callID, httpStatus: 200,
                                                  error: "the archive refused the call: \(error.serverMessage)",
                                                  attempts: 1, responseBody: call.rawJSON.replacingOccurrences(of: "\u{0}", with: ""))
                        try await PortableWrites.recordFailure(failure, runID: runID, at: fetchedAt, on: runner)
                        refused.append(failure)
                    }
                case .failed(let failure):
                    try await PortableWrites.recordFailure(failure, runID: runID, at: fetchedAt, on: runner)
                case .recording(let row):
                    try await PortableWrites.saveRecording(row, fetchedAt: fetchedAt, on: runner)
                case .recordingFailed(let failure):
                    try await PortableWrites.recordRecordingFailure(failure, runID: runID, at: fetchedAt, on: runner)
                }
            }
            try await PortableWrites.upsert(calls, fetchedAt: fetchedAt, on: runner)
            return refused
        }
    }

    /// A `TransferQuery` on the pool (a statement of its own), or on `connection`.
    func run(_ query: TransferQuery, on connection: PostgresConnection? = nil) async throws -> [[TransferValue]] {
        try await rows(Self.postgresQuery(query), kinds: query.resultKinds, on: connection)
    }

    private func callIDs(_ sql: String, _ provider: Provider, _ ids: [String]) async throws -> Set<String> {
        var bindings = PostgresBindings()
        bindings.append(provider.rawValue)
        bindings.append(ids)
        var found = Set<String>()
        for row in try await retrying({ try await rows(PostgresQuery(unsafeSQL: sql, binds: bindings), kinds: [.text]) }) {
            if case .text(let id) = row[0] { found.insert(id) }
        }
        return found
    }

    /// SQLite's `?` placeholders, numbered and typed for PostgreSQL (`$3::timestamptz`).
    static func postgresQuery(_ query: TransferQuery) -> PostgresQuery {
        let sql = TransferPlan.numberingPlaceholders(in: query.sql) { "$\($0 + 1)::" + TransferPlan.postgresType(query.argumentKinds[$0]) }
        var bindings = PostgresBindings(capacity: query.arguments.count)
        for (value, kind) in zip(query.arguments, query.argumentKinds) { bindings.append(value, as: kind) }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}

/// Statements on one connection, inside the batch's transaction.
struct ConnectionRunner: StatementRunner {
    let archive: PostgresArchive
    let connection: PostgresConnection

    func run(_ statement: TransferQuery) async throws -> [[TransferValue]] {
        try await archive.run(statement, on: connection)
    }

    func runNewCalls(_ statement: NewCallsStatement) async throws -> [NewCallsStatement.Written] {
        let rows = statement.clearing ? try await archive.execute(SyncingNewCalls(statement), on: connection)
            : try await archive.execute(RebuildingNewCalls(statement), on: connection)
        return rows.map { NewCallsStatement.Written(provider: $0.1, callID: $0.2, callRef: $0.0, inserted: $0.3) }
    }

    func run(_ sql: String) async throws -> [[TransferValue]] {
        try await archive.rows(PostgresQuery(unsafeSQL: sql), kinds: [], on: connection)
    }
}

extension SyncRecord {
    /// The key a batch takes row locks in.
    var lockOrder: String {
        switch self {
        case .archived(let call): call.provider.rawValue + " " + call.callID
        case .failed(let failure): failure.provider.rawValue + " " + failure.callID
        case .recording(let row): row.provider.rawValue + " " + row.callID
        case .recordingFailed(let failure): failure.provider.rawValue + " " + failure.callID
        }
    }
}

extension PostgresStoreError {
    /// The call's own data was refused: integrity (class 23) or a data exception
    /// (class 22: a NUL character, a value out of a type's range).
    var isTheCallsOwn: Bool {
        if case .server(_, let state, _) = self { return state.hasPrefix("23") || state.hasPrefix("22") }
        return false
    }

    var serverMessage: String {
        if case .server(_, _, let message) = self { return message }
        return description
    }
}
