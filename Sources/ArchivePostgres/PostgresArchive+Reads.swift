import ArchiveKit
import PostgresNIO

/// The PostgreSQL archive for the query commands: the same calls, decoded by
/// the same record types as on SQLite, and the query layer's statements in
/// PostgreSQL's dialect (`CallQueries`' implementation for a `RowStream`).
extension PostgresArchive: CallQueries, RowStream {
    public var name: String { location.description }

    public func rows(_ query: TransferQuery) async throws -> [[TransferValue]] {
        try await run(query)
    }

    public func forEachRow(_ query: TransferQuery, _ body: ([TransferValue]) async throws -> Void) async throws {
        try await forEachRow(Self.postgresQuery(query), kinds: query.resultKinds, body)
    }

    public func providers(holding id: String) async throws -> [Provider] {
        try await rows("SELECT provider FROM calls WHERE call_id = \(id) ORDER BY provider", kinds: [.text]).compactMap { row in
            if case .text(let name) = row[0] { Provider(rawValue: name) } else { nil }
        }
    }

    public func storedCall(provider: Provider, id: String) async throws -> StoredCall? {
        try await StoredCall.load(provider: provider, id: id, from: self)
    }
}
