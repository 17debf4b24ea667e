import ArchiveKit
import PostgresNIO

/// `NewCallsStatement` as PostgresNIO prepares it: once per connection, named
/// by its type, so each of the statement's two texts (a sync's, a rebuild's)
/// is a type of its own.
///
/// The parameters' types are declared, not read off the first call's values:
/// a NULL there would leave a parameter for the server to infer from its cast
/// (`$3::timestamptz[]`), and later calls' text would then be read as binary
/// timestamps.
///
/// The values are encoded when the statement is made, not when PostgresNIO
/// asks for them: that happens after `PostgresArchive.execute` has checked the
/// connection is open, and the shorter the gap, the less often a session
/// that ends in it costs a statement (see `PostgresArchive.send`).
protocol PreparedNewCalls: PostgresPreparedStatement where Row == (Int64, String, String, Bool) {
    static var clearing: Bool { get }
    var bindings: PostgresBindings { get }
    init(bindings: PostgresBindings)
}

extension PreparedNewCalls {
    static var sql: String { NewCallsStatement.sql(clearing: clearing) }
    static var bindingDataTypes: [PostgresDataType] { BoundTypes.all }

    init(_ statement: NewCallsStatement) {
        var bindings = PostgresBindings(capacity: statement.columns.count)
        for (values, kind) in zip(statement.columns, NewCallsStatement.parameters) {
            bindings.append(ColumnArray(values: values, kind: kind))
        }
        self.init(bindings: bindings)
    }

    func makeBindings() -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> (Int64, String, String, Bool) {
        try row.decode((Int64, String, String, Bool).self)
    }
}

struct SyncingNewCalls: PreparedNewCalls {
    static let clearing = true
    let bindings: PostgresBindings
}

struct RebuildingNewCalls: PreparedNewCalls {
    static let clearing = false
    let bindings: PostgresBindings
}

private enum BoundTypes {
    static let all = NewCallsStatement.parameters.map { type($0, array: true) }

    /// What `ColumnArray` sends for a parameter, and for its elements.
    static func type(_ kind: ColumnKind, array: Bool) -> PostgresDataType {
        switch (kind, array) {
        case (.integer, false): .int8
        case (.integer, true): .int8Array
        case (.real, false): .float8
        case (.real, true): .float8Array
        case (.boolean, false): .bool
        case (.boolean, true): .boolArray
        case (.text, false), (.json, false), (.time, false): .text
        case (.text, true), (.json, true), (.time, true): .textArray
        }
    }
}

/// One child column's values as a one-dimensional PostgreSQL array, in the
/// binary format (`array_recv`), NULLs included, which PostgresNIO's own
/// arrays cannot hold. The values are already of the column's kind
/// (`NewCallsStatement` checked them).
struct ColumnArray: PostgresDynamicTypeEncodable {
    let values: [TransferValue]
    let kind: ColumnKind

    var psqlType: PostgresDataType { BoundTypes.type(kind, array: true) }
    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let element = BoundTypes.type(kind, array: false)
        buffer.writeInteger(values.isEmpty ? 0 : 1, as: Int32.self)  // dimensions
        buffer.writeInteger(values.contains(.null) ? 1 : 0, as: Int32.self)  // has NULLs
        buffer.writeInteger(element.rawValue)
        guard !values.isEmpty else { return }
        buffer.writeInteger(Int32(values.count))
        buffer.writeInteger(1, as: Int32.self)  // lower bound
        for value in values {
            switch (value, kind) {
            case (.null, _):
                buffer.writeInteger(-1, as: Int32.self)
            case (.integer(let v), .boolean):
                buffer.writeInteger(1, as: Int32.self)
                buffer.writeInteger(v == 0 ? 0 : 1, as: UInt8.self)
            case (.integer(let v), _):
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(v)
            case (.real(let v), _):
                buffer.writeInteger(8, as: Int32.self)
                buffer.writeInteger(v.bitPattern)
            case (.text(let v), _):
                buffer.writeInteger(Int32(v.utf8.count))
                buffer.writeString(v)
            }
        }
    }
}
