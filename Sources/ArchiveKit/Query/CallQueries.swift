/// What the query commands (`show`, `list`, `search`, `stats`, `export`) ask
/// of an archive, so that none of them knows which store it has.
/// `ArchiveStore` answers with its own tuned SQLite statements; a store that
/// streams rows (`RowStream`, PostgreSQL) gets every answer from the same
/// query layer in its dialect, decoded into the same values.
public protocol CallQueries: CallReader {
    /// `archive list`: the calls newest first; returns how many rows it wrote.
    func list(_ filter: CallFilter, limit: Int?, makeWriter: ([String]) -> RowWriter) async throws -> Int
    /// `archive search`: best match first (`CallSearch`'s keys), matches marked by `markers`.
    func search(_ query: String, literal: Bool, filter: CallFilter, limit: Int?, markers: CallSearch.Markers) async throws -> ResultSet
    /// `archive stats`: one group per key, in key order.
    func stats(_ filter: CallFilter, by grouping: CallStats.Grouping?) async throws -> [CallStats.Group]
    /// `archive export`: one call per line as `show --json` prints it; returns the count.
    func exportCalls(_ filter: CallFilter, limit: Int?, to output: OutputBuffer) async throws -> Int
    /// `archive export --raw`: the vendor bodies as stored, one per line.
    func exportRawBodies(_ filter: CallFilter, limit: Int?, to output: OutputBuffer) async throws -> Int
    /// `archive export --table`: one table or view, row by row.
    func exportTable(_ name: String, filter: CallFilter, limit: Int?, makeWriter: ([String]) -> RowWriter) async throws -> Int
}

/// A store other than SQLite as the query layer reads it: one statement at a
/// time, its rows decoded as SQLite holds them and handed over in order, so
/// that memory stays flat however many there are.
public protocol RowStream: TransferRowSource {
    func forEachRow(_ query: TransferQuery, _ body: ([TransferValue]) async throws -> Void) async throws
}

extension ArchiveStore: CallQueries {
    public func list(_ filter: CallFilter, limit: Int?, makeWriter: ([String]) -> RowWriter) async throws -> Int {
        let (sql, arguments) = CallList.query(filter, limit: limit)
        return try stream(sql, arguments: arguments, makeWriter: makeWriter)
    }

    public func search(_ query: String, literal: Bool, filter: CallFilter, limit: Int?, markers: CallSearch.Markers) async throws -> ResultSet {
        try CallSearch.run(query, literal: literal, filter: filter, limit: limit, markers: markers, in: self)
    }

    public func stats(_ filter: CallFilter, by grouping: CallStats.Grouping?) async throws -> [CallStats.Group] {
        try CallStats.compute(filter, by: grouping, in: self)
    }

    public func exportCalls(_ filter: CallFilter, limit: Int?, to output: OutputBuffer) async throws -> Int {
        try ArchiveExport.calls(filter, limit: limit, from: self, to: output)
    }

    public func exportRawBodies(_ filter: CallFilter, limit: Int?, to output: OutputBuffer) async throws -> Int {
        try ArchiveExport.rawBodies(filter, limit: limit, from: self, to: output)
    }

    public func exportTable(_ name: String, filter: CallFilter, limit: Int?, makeWriter: ([String]) -> RowWriter) async throws -> Int {
        try ArchiveExport.table(name, filter: filter, limit: limit, from: self, makeWriter: makeWriter)
    }
}

extension CallQueries where Self: RowStream {
    public func list(_ filter: CallFilter, limit: Int?, makeWriter: ([String]) -> RowWriter) async throws -> Int {
        let writer = makeWriter(CallList.listColumns)
        try await forEachRow(CallList.query(filter, limit: limit, dialect)) { writer.write($0.map(Cell.init)) }
        writer.finish()
        return writer.rowCount
    }

    public func search(_ query: String, literal: Bool, filter: CallFilter, limit: Int?, markers: CallSearch.Markers) async throws -> ResultSet {
        try await CallSearch.run(query, literal: literal, filter: filter, limit: limit, markers: markers, from: self)
    }

    public func stats(_ filter: CallFilter, by grouping: CallStats.Grouping?) async throws -> [CallStats.Group] {
        try await CallStats.compute(filter, by: grouping, from: self)
    }

    public func exportCalls(_ filter: CallFilter, limit: Int?, to output: OutputBuffer) async throws -> Int {
        try await ArchiveExport.calls(filter, limit: limit, from: self, to: output)
    }

    public func exportRawBodies(_ filter: CallFilter, limit: Int?, to output: OutputBuffer) async throws -> Int {
        try await ArchiveExport.rawBodies(filter, limit: limit, from: self, to: output)
    }

    public func exportTable(_ name: String, filter: CallFilter, limit: Int?, makeWriter: ([String]) -> RowWriter) async throws -> Int {
        try await ArchiveExport.table(name, filter: filter, limit: limit, from: self, makeWriter: makeWriter)
    }
}

extension Cell {
    init(_ value: TransferValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .real(let v): self = .real(v)
        case .text(let v): self = .text(v)
        }
    }
}
