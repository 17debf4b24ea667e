import ArchiveKit
import Foundation

/// A one-line progress display on stderr for terminals: done/total, rate, ETA, failures.
final class ProgressLine: Sendable {
    private let task: Task<Void, Never>?

    init(engine: SyncEngine, enabled: Bool) {
        guard enabled else {
            task = nil
            return
        }
        let start = ContinuousClock.now
        task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                let p = engine.progress(since: start)
                let c = p.counts
                let done = c.fetched + c.skipped + c.failed
                let seconds = max(0.001, p.elapsed.seconds)
                let rate = Double(c.fetched + c.failed) / seconds
                var line = "\(done)/\(c.idsRead)\(p.listFinished ? "" : "+") · \(String(format: "%.1f", rate))/s"
                if p.listFinished, rate > 0 {
                    line += " · ETA \(Int((Double(c.idsRead - done) / rate).rounded()))s"
                }
                if c.failed > 0 { line += " · \(c.failed) failed" }
                FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            }
        }
    }

    func finish() {
        guard let task else { return }
        task.cancel()
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
