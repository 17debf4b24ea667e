/// What a sync does with one chunk of its ID list, decided from what the
/// archive already holds: a pure function, so the rules are tested without a
/// network or a database.
struct ChunkPlan: Sendable, Equatable {
    enum Work: Sendable, Equatable {
        /// Get Call; then, if `recording`, the call's recording once it has ended.
        case fetch(String, recording: Bool)
        /// A final call archived without its recording: only the download, from the stored link.
        case recordingOnly(String, link: String)
    }

    var work: [Work]
    /// Archived in a final state: not fetched again (some may still get `recordingOnly`).
    var skipped: Int

    /// What the archive says about a chunk's IDs.
    struct Archived: Sendable, Equatable {
        /// Archived in a final state.
        var final: Set<String> = []
        /// Of the final ones, those with a recording link but no recording: the link.
        var missingRecordings: [String: String] = [:]
        /// Of the others, those whose recording is archived already.
        var recordings: Set<String> = []
    }

    /// The plan for `ids` (new to this run, in list order). With `recordings`
    /// off, final calls are skipped and the rest fetched; with it on, a final
    /// call missing its recording gets the download alone, and a fetched call
    /// gets its recording unless one is archived.
    static func make(_ ids: [String], archived: Archived, recordings: Bool) -> ChunkPlan {
        var plan = ChunkPlan(work: [], skipped: 0)
        plan.work.reserveCapacity(ids.count)
        for id in ids {
            if archived.final.contains(id) {
                plan.skipped += 1
                if recordings, let link = archived.missingRecordings[id] { plan.work.append(.recordingOnly(id, link: link)) }
            } else {
                plan.work.append(.fetch(id, recording: recordings && !archived.recordings.contains(id)))
            }
        }
        return plan
    }
}
