import Foundation

/// What the sync engine needs of an archive: its runs, which calls it holds
/// already and which lack their recording, and the writer's batches. The SQLite store (`ArchiveStore`) and
/// the PostgreSQL store (`PostgresArchive`) implement it; the engine does not
/// know which one it has.
public protocol SyncStore: Sendable {
    /// Records the start of a sync and returns its `run_id`.
    func beginRun(provider: Provider, baseURL: String, source: String, at date: Date) async throws -> Int64
    func finishRun(_ runID: Int64, counts: SyncCounts, outcome: String, at date: Date) async throws
    /// Which of `ids` are archived in a final state, so a sync can skip them.
    func finalIDs(provider: Provider, among ids: [String]) async throws -> Set<String>
    /// The recording links of those `ids` archived final with a link but without their mono recording.
    func missingRecordings(provider: Provider, among ids: Set<String>) async throws -> [String: String]
    /// `archive recordings`' next page: IDs after `afterID` of calls that have ended with a
    /// recording link but without their mono recording, in ID order.
    func callsMissingRecordings(provider: Provider, after afterID: String?, limit: Int) async throws -> [String]
    /// Which of `ids` have their mono recording archived.
    func archivedRecordings(provider: Provider, among ids: [String]) async throws -> Set<String>
    /// Writes a batch in one transaction, each call whole or not at all; returns
    /// the calls the store refused (recorded as failures instead).
    func save(_ batch: [SyncRecord], runID: Int64?, now: Date) async throws -> [SyncFailure]
}

extension ArchiveStore: SyncStore {}
