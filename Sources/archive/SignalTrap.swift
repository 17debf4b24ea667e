import Dispatch
import Synchronization
import Foundation

/// Turns the first SIGINT/SIGTERM into a graceful stop (in-flight writes
/// commit, the summary prints); a second one exits at once, which is safe
/// because calls are written in a batch's transaction: a kill loses at most
/// the uncommitted batch, never half a call.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(onSignal: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "archive.signals")
        let seen = Mutex(false)
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let again = seen.withLock { wasSeen in
                    defer { wasSeen = true }
                    return wasSeen
                }
                if again { _exit(128 + number) }
                FileHandle.standardError.write(Data("\narchive: stopping; committing what was fetched (press Ctrl-C again to quit now)\n".utf8))
                onSignal(number)
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
