import ArchiveKit
import PostgresNIO

/// The PostgreSQL archive as one side of `archive copy`.
extension PostgresArchive: TransferEndpoint {
    public var dialect: TransferPlan.Dialect { .postgres }

    public func readRows(_ queries: [TransferQuery]) async throws -> [[[TransferValue]]] {
        if queries.count == 1 { return [try await rows(Self.query(queries[0]), kinds: queries[0].resultKinds)] }
        return try await transaction(readOnly: true) { connection in
            var results: [[[TransferValue]]] = []
            for query in queries {
                results.append(try await rows(Self.query(query), kinds: query.resultKinds, on: connection))
            }
            return results
        }
    }

    public func writeRows<T: Sendable>(check: TransferQuery,
                                   _ build: @escaping @Sendable ([[TransferValue]]) throws -> (statements: [TransferQuery], result: T)) async throws -> T {
        try await transaction { connection in
            try await takeCopyLock(connection)
            let (statements, result) = try build(try await rows(Self.query(check), kinds: check.resultKinds, on: connection))
            for statement in statements { _ = try await rows(Self.query(statement), kinds: [], on: connection) }
            return result
        }
    }

    public func writeRows(_ statements: [TransferQuery]) async throws {
        try await transaction { connection in
            try await takeCopyLock(connection)
            for statement in statements { _ = try await rows(Self.query(statement), kinds: [], on: connection) }
        }
    }

    /// Copies into one archive write one batch at a time: a run or a listing
    /// is matched by its natural key, which no constraint makes unique, so two
    /// copies checking at once would both add it. Held until the batch commits.
    private func takeCopyLock(_ connection: PostgresConnection) async throws {
        _ = try await rows("SELECT pg_advisory_xact_lock(\(Self.copyLockKey))", kinds: [], on: connection)
    }

    /// `pg_advisory_xact_lock`'s key for copies: "copy" in ASCII.
    static let copyLockKey: Int64 = 0x636F_7079

    private static func query(_ query: TransferQuery) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: query.arguments.count)
        for (value, kind) in zip(query.arguments, query.argumentKinds) { bindings.append(value, as: kind) }
        return PostgresQuery(unsafeSQL: query.sql, binds: bindings)
    }
}
