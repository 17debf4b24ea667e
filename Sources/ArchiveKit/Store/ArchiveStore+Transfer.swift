import GRDB

/// The SQLite archive as one side of `archive copy`. Rows land through the
/// same triggers as a sync's, so the full-text indexes follow.
extension ArchiveStore: TransferEndpoint {
    public var dialect: TransferPlan.Dialect { .sqlite }

    public func readRows(_ queries: [TransferQuery]) async throws -> [[[TransferValue]]] {
        try await read { db in try queries.map { try Self.rows(db, $0) } }
    }

    public func writeRows<T: Sendable>(check: TransferQuery,
                                   _ build: @escaping @Sendable ([[TransferValue]]) throws -> (statements: [TransferQuery], result: T)) async throws -> T {
        try await write { db in
            let (statements, result) = try build(try Self.rows(db, check))
            for statement in statements { try Self.execute(db, statement) }
            return result
        }
    }

    public func writeRows(_ statements: [TransferQuery]) async throws {
        try await write { db in
            for statement in statements { try Self.execute(db, statement) }
        }
    }

    /// Runs `query` on SQLite and returns its rows (the store's one way to run a `TransferQuery`).
    static func rows(_ db: Database, _ query: TransferQuery) throws -> [[TransferValue]] {
        let cursor = try Row.fetchCursor(db, sql: query.sql, arguments: query.statementArguments)
        var rows: [[TransferValue]] = []
        while let row = try cursor.next() {
            rows.append(row.databaseValues.map(TransferValue.init))
        }
        return rows
    }

    static func execute(_ db: Database, _ query: TransferQuery) throws {
        try db.execute(sql: query.sql, arguments: query.statementArguments)
    }
}

extension TransferValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let v): self = .integer(v)
        case .double(let v): self = .real(v)
        case .string(let v): self = .text(v)
        case .blob(let v): self = .text(String(decoding: v, as: UTF8.self))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let v): v.databaseValue
        case .real(let v): v.databaseValue
        case .text(let v): v.databaseValue
        }
    }
}
