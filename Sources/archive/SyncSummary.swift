import ArchiveKit

/// The end-of-run summary: what happened, and where to look for the rest.
enum SyncSummary {
    static func text(_ report: SyncReport, provider: Provider, databasePath: String, recordings: String? = nil) -> String {
        let c = report.counts
        let seconds = report.elapsed.seconds
        let rate = seconds > 0 ? Double(c.fetched) / seconds : 0
        var lines = [
            "\(provider.displayName) sync \(report.outcome.recordedName.replacingOccurrences(of: "_", with: " ")) in \(String(format: "%.1f", seconds)) s (run \(report.runID)).",
            "  IDs read  \(c.idsRead)" + (c.invalidLines > 0 ? " (and \(c.invalidLines) invalid line\(c.invalidLines == 1 ? "" : "s") skipped)" : ""),
            "  fetched   \(c.fetched) (\(String(format: "%.1f", rate)) calls/s, \(c.requests) requests)",
            "  skipped   \(c.skipped) already archived and final",
            "  failed    \(c.failed)",
        ]
        if let recordings {
            let megabytes = Double(c.recordingBytes) / 1_000_000
            lines.append("  recordings \(c.recordings) archived (\(String(format: "%.1f", megabytes)) MB in \(recordings))"
                + (c.recordingFailures > 0 ? ", \(c.recordingFailures) failed" : ""))
        }
        switch report.outcome {
        case .interrupted, .vendorUnavailable, .storageFailed, .authRejected:
            let left = c.idsRead - c.fetched - c.skipped - c.failed
            lines.append("  not done  \(max(0, left)) (run the same command again to resume)")
        case .completed, .completedWithFailures:
            break
        }
        if c.idsRead == 0, c.invalidLines == 0 {
            lines.append("  note      the list holds no call IDs, so there was nothing to fetch")
        }
        if report.throttled > 0 {
            let pace = report.finalPace.map { String(format: " and %.1f requests/s", $0) } ?? ""
            lines.append("  note      \(report.throttled) answer(s) were HTTP 429 (Too Many Requests); the sync slowed down, ending at \(report.finalConcurrency) in flight\(pace)")
        }
        if report.retryAfterCapped > 0 {
            lines.append("  note      \(report.retryAfterCapped) Retry-After value(s) above --max-retry-after were capped")
        }
        for invalid in report.invalidLines {
            lines.append("  line \(invalid.line): \(invalid.reason)")
        }
        if c.invalidLines > report.invalidLines.count {
            lines.append("  … and \(c.invalidLines - report.invalidLines.count) more invalid lines (-v lists every one).")
        }
        lines += failureList("Recordings not archived:", report.recordingFailures.map { ($0.callID, $0.error) },
                             total: c.recordingFailures, table: "recording_failures", provider: provider, databasePath: databasePath)
        lines += failureList("Failed IDs:", report.failures.map { ($0.callID, $0.error) },
                             total: c.failed, table: "sync_failures", provider: provider, databasePath: databasePath)
        return lines.joined(separator: "\n")
    }

    /// The first failures of one kind, and the query that lists them all.
    private static func failureList(_ title: String, _ examples: [(id: String, error: String)], total: Int, table: String,
                                    provider: Provider, databasePath: String) -> [String] {
        guard !examples.isEmpty else { return [] }
        var lines = [title] + examples.map { "  \($0.id): \($0.error)" }
        if total > examples.count { lines.append("  … and \(total - examples.count) more.") }
        lines.append("All of them: archive sql \"SELECT call_id, http_status, error FROM \(table) WHERE provider = '\(provider.rawValue)'\" --db \(databasePath)")
        return lines
    }
}
