@testable import ArchiveKit
import Testing

/// The per-chunk rules of a sync, without a network or a database.
struct ChunkPlanTests {
    let ids = ["new", "final", "final-no-recording", "ongoing-with-recording"]
    let archived = ChunkPlan.Archived(final: ["final", "final-no-recording"],
                                      missingRecordings: ["final-no-recording": "https://storage.example/r.wav"],
                                      recordings: ["ongoing-with-recording"])

    @Test func withoutRecordingsFinalCallsAreSkippedAndTheRestFetched() {
        let plan = ChunkPlan.make(ids, archived: archived, recordings: false)
        #expect(plan.work == [.fetch("new", recording: false), .fetch("ongoing-with-recording", recording: false)])
        #expect(plan.skipped == 2)
    }

    @Test func withRecordingsAFinalCallMissingItsRecordingGetsOnlyTheDownload() {
        let plan = ChunkPlan.make(ids, archived: archived, recordings: true)
        #expect(plan.work == [
            .fetch("new", recording: true),
            .recordingOnly("final-no-recording", link: "https://storage.example/r.wav"),
            .fetch("ongoing-with-recording", recording: false),  // its recording is archived already
        ])
        #expect(plan.skipped == 2, "a download alone is no fetch: the call still counts as skipped")
    }

    @Test func anEmptyArchiveFetchesEverythingInListOrder() {
        let plan = ChunkPlan.make(["b", "a", "c"], archived: .init(), recordings: true)
        #expect(plan.work == [.fetch("b", recording: true), .fetch("a", recording: true), .fetch("c", recording: true)])
        #expect(plan.skipped == 0)
    }
}
