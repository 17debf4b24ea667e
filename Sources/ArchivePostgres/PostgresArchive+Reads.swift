import ArchiveKit
import PostgresNIO

/// The PostgreSQL archive for the query commands: the same calls, decoded by
/// the same record types as on SQLite, and the query layer's statements in
/// PostgreSQL's dialect (`CallQueries`' implementation for a `RowStream`).
extension PostgresArchive: CallQueries, ViewerSource, RowStream {
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

    public func page(_ filter: CallFilter, from position: CallList.Position?, _ direction: CallList.Direction, limit: Int,
                     columns: CallList.Columns) async throws -> ResultSet {
        try await CallList.page(filter, from: position, direction, limit: limit, columns: columns, from: self)
    }

    public func recording(sha256: String) async throws -> RecordingRow? {
        try await RecordingRow.load(sha256: sha256, from: self)
    }

    public func recording(callID: String, provider: Provider?, variant: RecordingVariant) async throws -> [RecordingRow] {
        try await RecordingRow.load(callID: callID, provider: provider, variant: variant, from: self)
    }
}
