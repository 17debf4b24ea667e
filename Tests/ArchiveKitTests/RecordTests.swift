@testable import ArchiveKit
import GRDB
import Testing

/// The record types and the tables they write: one column list each, and the
/// tables' own order where `show --json` prints it.
struct RecordTests {
    static func columns(_ table: String, in store: ArchiveStore) throws -> [String] {
        try store.read { db in try db.columns(in: table).map(\.name) }
    }

    @Test func eachRecordWritesColumnsItsTableHas() throws {
        let store = try ArchiveStore.inMemory()
        func check<Record: ArchiveRecord>(_ type: Record.Type) throws {
            let table = try Self.columns(Record.databaseTableName, in: store)
            #expect(Set(Record.writtenColumns).isSubset(of: table), "\(Record.self) writes columns \(table) lacks")
            #expect(Set(Record.writtenColumns).count == Record.writtenColumns.count, "\(Record.self) names a column twice")
            // The record's own columns keep the table's order, so `show --json` lists them as the schema does.
            let own = Record.Columns.allCases.map(\.rawValue)
            #expect(table.filter(own.contains) == own, "\(Record.self)'s columns are not in the table's order")
        }
        try check(NormalizedCall.self)
        try check(NormalizedCall.Turn.self)
        try check(NormalizedCall.Latency.self)
        try check(NormalizedCall.Analysis.self)
        try check(NormalizedCall.Field.self)
        try check(RecordingRow.self)
        try check(SyncFailure.self)
        try check(RecordingFailure.self)
        try check(SyncCounts.self)
        try check(ListingProgress.self)
    }

    /// A run's counts written by `finishRun` read back the same.
    @Test func aRunsCountsRoundTrip() throws {
        let store = try ArchiveStore.inMemory()
        let run = try store.beginRun(provider: .puppeteer, baseURL: "https://api.puppeteerai.com", source: "ids.txt")
        var counts = SyncCounts()
        (counts.idsRead, counts.fetched, counts.skipped, counts.failed, counts.invalidLines) = (10, 6, 2, 2, 1)
        (counts.requests, counts.recordings, counts.recordingFailures, counts.recordingBytes) = (9, 5, 1, 123_456)
        try store.finishRun(run, counts: counts, outcome: "completed_with_failures")
        let (stored, outcome) = try store.read { db in
            (try SyncCounts.fetchOne(db, sql: "SELECT * FROM sync_runs WHERE run_id = ?", arguments: [run]),
             try String.fetchOne(db, sql: "SELECT outcome FROM sync_runs WHERE run_id = ?", arguments: [run]))
        }
        #expect(stored == counts)
        #expect(outcome == "completed_with_failures")
    }

    /// `calls` has no column the record forgets, but the local `id`.
    @Test func theCallRecordCoversEveryColumnOfCalls() throws {
        let store = try ArchiveStore.inMemory()
        #expect(try Self.columns("calls", in: store) == ["id"] + NormalizedCall.Columns.allCases.map(\.rawValue))
        #expect(try Self.columns("transcript_turns", in: store)
            == ["id", "call_ref", "provider", "call_id"] + NormalizedCall.Turn.Columns.allCases.map(\.rawValue))
    }

    /// A call written and read back is the call that was written, field for field.
    @Test func aCallRoundTripsThroughItsTables() async throws {
        let store = try ArchiveStore.inMemory()
        var call = NormalizedCall(provider: .puretalk, callID: "round-trip", rawJSON: #"{"results":{"call_id":"round-trip"}}"#)
        call.status = "ended"
        call.durationMs = 61_500
        call.recordingEnabled = true
        call.isBilled = false
        call.costUSD = 0.125
        call.metadata = #"{"crm":"x"}"#
        call.isFinal = true
        var turn = NormalizedCall.Turn(index: 0)
        turn.role = "agent"
        turn.content = "Hello"
        turn.interrupted = false
        turn.toolCalls = "[]"
        turn.latency = NormalizedCall.Latency(latency: 1.5, eouDelay: 0.25, llmLatency: nil, ttsLatency: 0.5)
        call.turns = [turn, NormalizedCall.Turn(index: 1)]
        var analysis = NormalizedCall.Analysis()
        analysis.summary = "A refund."
        analysis.taskCompletion = "complete"
        call.analysis = analysis
        call.fields = [.init(name: "score", value: "9"), .init(name: "empty", value: nil)]
        try await store.save([.archived(call)], runID: nil)

        let stored = try #require(try store.storedCall(provider: .puretalk, id: "round-trip"))
        var expected = call
        expected.fetchedAt = stored.call.fetchedAt
        #expect(stored.call.fetchedAt != nil)
        #expect(stored.call == expected)
        #expect(stored.recording == nil)
    }
}
