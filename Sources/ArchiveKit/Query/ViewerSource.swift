/// What `archive serve` reads of an archive, whichever store holds it: the
/// viewer's SQLite connections (`ArchiveReader`) and a PostgreSQL archive
/// implement it, each under the viewer's time limit.
public protocol ViewerSource: Sendable {
    /// A page of the call list around a keyset position (`CallList.page`).
    func page(_ filter: CallFilter, from position: CallList.Position?, _ direction: CallList.Direction, limit: Int,
              columns: CallList.Columns) async throws -> ResultSet
    func storedCall(provider: Provider, id: String) async throws -> StoredCall?
    func search(_ query: String, literal: Bool, filter: CallFilter, limit: Int?, markers: CallSearch.Markers) async throws -> ResultSet
    func stats(_ filter: CallFilter, by grouping: CallStats.Grouping?) async throws -> [CallStats.Group]
    /// The first recording row with these bytes.
    func recording(sha256: String) async throws -> RecordingRow?
}
