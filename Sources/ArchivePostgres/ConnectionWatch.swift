import Synchronization

/// Awaits a statement's answer while watching its connection.
///
/// PostgresNIO 1.33.2 never answers a statement written to a connection that
/// has closed: the write fails unseen (`channel.write(_, promise: nil)`) and
/// the statement's promise is never completed. `PostgresArchive.send` checks
/// the connection before each statement, but the server can end the session
/// in the instant between that check and the write, and the sync would then
/// wait forever. So while a statement is unanswered, the connection is looked
/// at every `interval`; once it has closed, the statement is given up as a lost
/// connection, which `retrying` runs again on another. The abandoned await
/// stays suspended on its promise (a few hundred bytes, once per lost session).
enum ConnectionWatch {
    /// `work`'s result, or `lost()` thrown once `isClosed` says so while `work`
    /// has not answered. A cancelled caller gets `CancellationError` at once,
    /// and `work` is cancelled too.
    static func answer<T: Sendable>(of work: @escaping @Sendable () async throws -> T,
                                    abandoningWhen isClosed: @escaping @Sendable () -> Bool,
                                    every interval: Duration = .milliseconds(250),
                                    lost: @escaping @Sendable () -> any Error) async throws -> T {
        let answer = FirstAnswer<T>()
        let watcher = Task {
            while !answer.isSettled {
                do { try await Task.sleep(for: interval) } catch { return }
                if isClosed() { answer.settle(.failure(lost())) }
            }
        }
        let worker = Task {
            do { answer.settle(.success(try await work())) } catch { answer.settle(.failure(error)) }
        }
        defer { watcher.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { answer.attach($0) }
        } onCancel: {
            worker.cancel()
            answer.settle(.failure(CancellationError()))
        }
    }
}

/// The first of several outcomes, handed to one continuation once: whichever
/// of the statement, the watcher and a cancellation settles it first wins.
private final class FirstAnswer<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var settled = false
    }
    private let state = Mutex(State())

    var isSettled: Bool { state.withLock { $0.settled } }

    func attach(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { state in
            if let early = state.early { continuation.resume(with: early) } else { state.continuation = continuation }
        }
    }

    func settle(_ result: Result<T, any Error>) {
        state.withLock { state in
            guard !state.settled else { return }
            state.settled = true
            if let continuation = state.continuation {
                state.continuation = nil
                continuation.resume(with: result)
            } else {
                state.early = result
            }
        }
    }
}
