import ArchiveKit
import Dispatch
import Foundation

/// The viewer's read-only connections to the archive, one per core. The query
/// layer reads synchronously (GRDB), so reads run on dispatch threads of their
/// own and never block the few threads that Swift's tasks share with the
/// server. Each read takes a free connection and runs under the time limit,
/// whose interrupt reaches that connection alone; so a slow stats page holds
/// one connection while the list goes on answering on another. A sync may
/// write meanwhile: in WAL mode each read sees the last commit before it began.
final class ArchiveReader: ViewerSource {
    private let timeout: Double
    private let queue = DispatchQueue(label: "archive.viewer.reads", attributes: .concurrent)
    private let free: DispatchSemaphore
    /// Connections not in use. Guarded by `lock`.
    nonisolated(unsafe) private var idle: [ArchiveStore]
    private let lock = NSLock()

    init(stores: [ArchiveStore], timeout: Double) {
        precondition(!stores.isEmpty)
        idle = stores
        free = DispatchSemaphore(value: stores.count)
        self.timeout = timeout
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (ArchiveStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                free.wait()
                let store = lock.withLock { idle.removeLast() }
                defer {
                    lock.withLock { idle.append(store) }
                    free.signal()
                }
                continuation.resume(with: Result { try store.withTimeLimit(timeout) { try body(store) } })
            }
        }
    }

    func page(_ filter: CallFilter, from position: CallList.Position?, _ direction: CallList.Direction, limit: Int,
              columns: CallList.Columns) async throws -> ResultSet {
        try await read { try CallList.page(filter, from: position, direction, limit: limit, columns: columns, in: $0) }
    }

    func storedCall(provider: Provider, id: String) async throws -> StoredCall? {
        try await read { try $0.storedCall(provider: provider, id: id) }
    }

    func search(_ query: String, literal: Bool, filter: CallFilter, limit: Int?, markers: CallSearch.Markers) async throws -> ResultSet {
        try await read { try CallSearch.run(query, literal: literal, filter: filter, limit: limit, markers: markers, in: $0) }
    }

    func stats(_ filter: CallFilter, by grouping: CallStats.Grouping?) async throws -> [CallStats.Group] {
        try await read { try CallStats.compute(filter, by: grouping, in: $0) }
    }

    func recording(sha256: String) async throws -> RecordingRow? {
        try await read { try $0.recording(sha256: sha256) }
    }
}
