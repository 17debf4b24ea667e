import ArchiveKit
import Dispatch

/// The viewer's one read-only connection to the archive. The query layer
/// reads synchronously (GRDB), so reads run on a dispatch queue of their own
/// and never block the few threads that Swift's tasks share with the
/// server; one at a time, each under the time limit. A sync may write
/// meanwhile: in WAL mode each read sees the last commit before it began.
final class ArchiveReader: Sendable {
    let store: ArchiveStore
    private let timeout: Double
    private let queue = DispatchQueue(label: "archive.viewer.reads")

    init(store: ArchiveStore, timeout: Double) {
        self.store = store
        self.timeout = timeout
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (ArchiveStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [store, timeout] in
                continuation.resume(with: Result { try store.withTimeLimit(timeout) { try body(store) } })
            }
        }
    }
}
