/// A new call's whole write as one PostgreSQL statement whose text never
/// changes: the upsert, the `sync_failures` delete (a sync's, not a
/// rebuild's), then each child table's rows, one array a column (`unnest`),
/// inserted only if the upsert inserted the row. A fixed text is parsed and
/// planned once per connection (PostgresNIO prepares it); a text that varied
/// with the call's row counts cost the server about a third of its time.
///
/// A call already archived comes back with `inserted` false and nothing of
/// its children written: its old children must be deleted first, which one
/// statement cannot do before its own inserts (`PortableWrites.upsert`).
public struct NewCallStatement: Sendable {
    /// One parameter's value: a scalar, or a child column's values, one a row.
    public enum Argument: Sendable, Equatable {
        case value(TransferValue)
        case column([TransferValue])
    }

    /// A parameter's type: its column's kind, as one value or an array of them.
    public struct Parameter: Sendable, Equatable {
        public let kind: ColumnKind
        public let isArray: Bool
    }

    /// Whether the statement clears the call's `sync_failures` (a sync) or keeps them (a rebuild).
    public let clearing: Bool
    /// One for each of `parameters(clearing:)`.
    public let arguments: [Argument]

    /// The statement's text, with typed placeholders (`$3::timestamptz`, `$40::bigint[]`).
    public static func sql(clearing: Bool) -> String { (clearing ? syncing : rebuilding).sql }

    /// The type each placeholder is bound as.
    public static func parameters(clearing: Bool) -> [Parameter] { (clearing ? syncing : rebuilding).parameters }

    /// Nil when a value is not of its column's kind (an integer in a text
    /// column): the parameters are typed once for every call, so such a call
    /// takes the general path, whose statements cast each value.
    init?(_ call: NormalizedCall, _ children: ChildRows, clearing: Bool) {
        let layout = clearing ? Self.syncing : Self.rebuilding
        var arguments: [Argument] = []
        arguments.reserveCapacity(layout.parameters.count)
        var scalars = call.databaseValues.map(TransferValue.init)
        if clearing { scalars += [.text(call.provider.rawValue), .text(call.callID)] }
        for (value, parameter) in zip(scalars, layout.parameters) {
            guard let value = value.typed(as: parameter.kind) else { return nil }
            arguments.append(.value(value))
        }
        var parameters = layout.parameters[scalars.count...].makeIterator()
        for piece in Self.pieces {
            let rows = piece.rows(children).rows
            for column in piece.shape.kinds.indices {
                guard let kind = parameters.next()?.kind else { return nil }
                var values: [TransferValue] = []
                values.reserveCapacity(rows.count)
                for row in rows {
                    guard let value = TransferValue(row[column]).typed(as: kind) else { return nil }
                    values.append(value)
                }
                arguments.append(.column(values))
            }
        }
        self.clearing = clearing
        self.arguments = arguments
    }

    // MARK: The text, made once

    private struct Layout {
        let sql: String
        let parameters: [Parameter]
    }

    private static let syncing = layout(clearing: true)
    private static let rebuilding = layout(clearing: false)

    /// Each child's piece of the statement: its name, rows, parent's key, and
    /// the rest of its `SELECT` after `FROM`, where `%@` stands for its rows.
    private static let pieces: [(name: String, shape: TableShape, rows: @Sendable (ChildRows) -> TableRows, parent: String, from: String)] = [
        ("t", ChildRows.turnShape, { $0.turns }, "c.id", "c, %@ WHERE c.inserted RETURNING id, turn_index"),
        ("l", ChildRows.latencyShape, { $0.latencies }, "t.id", "t JOIN %@ ON v.column\(ChildRows.latencyTurnIndex + 1) = t.turn_index"),
        ("a", ChildRows.analysisShape, { $0.analysis }, "c.id", "c, %@ WHERE c.inserted"),
        ("p", ChildRows.fieldShape, { $0.fields }, "c.id", "c, %@ WHERE c.inserted"),
        ("s", ChildRows.sampleShape, { $0.samples }, "c.id", "c, %@ WHERE c.inserted"),
    ]

    private static func layout(clearing: Bool) -> Layout {
        var parameters: [Parameter] = []
        func placeholder(_ kind: ColumnKind, array: Bool = false) -> String {
            parameters.append(Parameter(kind: kind, isArray: array))
            return "$\(parameters.count)::\(TransferPlan.postgresType(kind))" + (array ? "[]" : "")
        }
        // A row the upsert inserted has no deleting transaction: `xmax = 0`.
        var sql = "WITH c AS ("
            + TransferPlan.numberingPlaceholders(in: NormalizedCall.upsertSQL + ", (xmax = 0) AS inserted") { n in
                placeholder(ArchiveTable.calls.column(NormalizedCall.writtenColumns[n]).kind)
            } + ")"
        if clearing {
            sql += ",\nf AS (DELETE FROM sync_failures WHERE provider = \(placeholder(.text)) AND call_id = \(placeholder(.text)))"
        }
        for piece in pieces {
            let names = piece.shape.kinds.indices.map { "column\($0 + 1)" }
            let arrays = piece.shape.kinds.map { placeholder($0, array: true) }
            let rows = "unnest(\(arrays.joined(separator: ", "))) AS v(\(names.joined(separator: ", ")))"
            sql += ",\n\(piece.name) AS (INSERT INTO \(piece.shape.table.name) (\(piece.shape.columns.joined(separator: ", "))) "
                + "SELECT \(piece.parent), v.* FROM " + piece.from.replacingOccurrences(of: "%@", with: rows) + ")"
        }
        return Layout(sql: sql + "\nSELECT id, inserted FROM c", parameters: parameters)
    }
}

extension TransferValue {
    /// The value as its column's kind binds it in a typed statement (an
    /// integer in a real column is a real; a boolean is 0 or 1), or nil if it
    /// is of another kind.
    func typed(as kind: ColumnKind) -> TransferValue? {
        switch (self, kind) {
        case (.null, _), (.integer, .integer), (.real, .real), (.text, .text), (.text, .json), (.text, .time): self
        case (.integer(let v), .real): .real(Double(v))
        case (.integer(let v), .boolean): .integer(v == 0 ? 0 : 1)
        default: nil
        }
    }
}
