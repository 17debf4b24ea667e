import Foundation

extension PostgresStoreError {
    /// The session went away: the server ended it (a restart, an administrator's
    /// `pg_terminate_backend`), or the network did. A new connection may succeed.
    var isConnectionLost: Bool {
        switch self {
        case .server(_, let state, _): state.hasPrefix("08") || state.hasPrefix("57P")
        case .cannotConnect: true
        default: false
        }
    }

    /// Not the statement's fault: the connection lost, a deadlock, a serialization failure.
    var isWorthRetrying: Bool {
        if case .server(_, let state, _) = self, state == "40P01" || state == "40001" { return true }
        return isConnectionLost
    }
}

extension PostgresArchive {
    /// Runs `body` again while it fails for a reason that is not its own, up to
    /// five times over about three seconds (the pool connects again meanwhile).
    /// Only for work that is the same done twice: a read, or a whole
    /// transaction of upserts, which a commit whose answer was lost leaves done.
    func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        for attempt in 1... {
            do {
                return try await body()
            } catch let error as PostgresStoreError where error.isWorthRetrying && attempt < 5 {
                try await Task.sleep(for: .milliseconds(100 * attempt * attempt))
            }
        }
        fatalError("unreachable: the loop returns or throws")
    }
}
