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
        if !report.recordingFailures.isEmpty {
            lines.append("Recordings not archived:")
            for failure in report.recordingFailures {
                lines.append("  \(failure.callID): \(failure.error)")
            }
            if c.recordingFailures > report.recordingFailures.count {
                lines.append("  … and \(c.recordingFailures - report.recordingFailures.count) more.")
            }
            lines.append("All of them: sqlite3 \(databasePath) \"SELECT call_id, http_status, error FROM recording_failures WHERE provider = '\(provider.rawValue)'\"")
        }
        if !report.failures.isEmpty {
            lines.append("Failed IDs:")
            for failure in report.failures {
                lines.append("  \(failure.callID): \(failure.error)")
            }
            if c.failed > report.failures.count {
                lines.append("  … and \(c.failed - report.failures.count) more.")
            }
            lines.append("All failures: sqlite3 \(databasePath) \"SELECT call_id, http_status, error FROM sync_failures WHERE provider = '\(provider.rawValue)'\"")
        }
        return lines.joined(separator: "\n")
    }
}
