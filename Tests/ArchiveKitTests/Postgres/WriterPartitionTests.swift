@testable import ArchiveKit
@testable import ArchivePostgres
import Testing

/// How the PostgreSQL writer cuts a batch into transactions written at once: no server needed.
struct WriterPartitionTests {
    func failure(_ id: String) -> SyncRecord {
        .failed(SyncFailure(provider: .vapi, callID: id, httpStatus: 404, error: "gone", attempts: 1))
    }

    func recordingFailure(_ id: String) -> SyncRecord {
        .recordingFailed(RecordingFailure(provider: .vapi, callID: id, httpStatus: 410, error: "expired", attempts: 1))
    }

    func keys(_ part: [SyncRecord]) -> [String] { part.map(\.lockOrder) }

    @Test func aLargeBatchBecomesOrderedDisjointPartsOfWholeCalls() {
        // 100 calls, each with a second record of the same key, shuffled.
        let ids = (0..<100).map { "call-\(1000 + $0)" }
        let batch = (ids.map(failure) + ids.map(recordingFailure)).shuffled()
        let parts = PostgresArchive.partition(batch, into: 4)
        #expect(parts.count == 4)
        #expect(parts.map(\.count).reduce(0, +) == batch.count)
        #expect(parts.allSatisfy { $0.count >= 16 })
        let all = parts.flatMap(keys)
        #expect(all == all.sorted(), "every part in lock order, and the parts one after another")
        for (a, b) in zip(parts, parts.dropFirst()) {
            #expect(keys(a).last! < keys(b).first!, "no call in two parts")
        }
    }

    @Test func aSmallBatchIsOnePart() {
        let parts = PostgresArchive.partition((0..<20).map { failure("c\($0)") }, into: 4)
        #expect(parts.count == 1 && parts[0].count == 20)
        #expect(PostgresArchive.partition([], into: 4).isEmpty)
    }

    @Test func recordsOfOneCallAreNeverSplitEvenPastThePartSize() {
        let batch = [failure("a")] + Array(repeating: failure("same"), count: 60) + (0..<20).map { failure("z\($0)") }
        let parts = PostgresArchive.partition(batch.shuffled(), into: 4)
        #expect(parts.count > 1 && parts.map(\.count).reduce(0, +) == batch.count)
        let holding = parts.filter { keys($0).contains("vapi same") }
        #expect(holding.count == 1 && holding[0].filter { $0.lockOrder == "vapi same" }.count == 60)
    }
}
