/// New calls' whole write as one PostgreSQL statement whose text never
/// changes, however many calls and rows it carries: the `calls` upsert, the
/// `sync_failures` delete (a sync's, not a rebuild's), then each child table's
/// rows, inserted only for the calls the upsert inserted, joined to them by
/// provider and call ID. Every parameter is one column's values, an array
/// (`unnest`).
///
/// A fixed text is parsed and planned once per connection (PostgresNIO
/// prepares it); a text that varied with the call's row counts cost the
/// server about a third of its time. And one statement for many calls pays
/// what each statement costs (the executor's start, a round trip, a watch of
/// the connection) once for all of them.
///
/// A call already archived comes back with `inserted` false and nothing of
/// its children written: its old children must be deleted first, which one
/// statement cannot do before its own inserts (`PortableWrites.upsert`).
public struct NewCallsStatement: Sendable {
    /// A call the statement wrote: its row key, and whether the upsert inserted the row.
    public struct Written: Sendable, Equatable {
        public let provider: String
        public let callID: String
        public let callRef: Int64
        public let inserted: Bool

        public init(provider: String, callID: String, callRef: Int64, inserted: Bool) {
            self.provider = provider
            self.callID = callID
            self.callRef = callRef
            self.inserted = inserted
        }
    }

    /// Calls a statement holds at most: about 1 MB of bodies in one message.
    public static let maximumCalls = 128

    /// Whether the statement clears its calls' `sync_failures` (a sync) or keeps them (a rebuild).
    public let clearing: Bool
    /// One for each of `parameters`: a column's values, a row each.
    public private(set) var columns: [[TransferValue]]
    /// The calls held, by provider and call ID: one upsert cannot write a row twice.
    private var keys: Set<CallKey> = []

    public var count: Int { keys.count }
    public var isFull: Bool { count >= Self.maximumCalls }

    public init(clearing: Bool) {
        self.clearing = clearing
        columns = Array(repeating: [], count: Self.parameters.count)
    }

    /// The statement's text, with typed placeholders (`$3::timestamptz[]`).
    public static func sql(clearing: Bool) -> String { clearing ? syncing : rebuilding }

    /// The kind of each placeholder's elements; every placeholder is an array.
    public static let parameters: [ColumnKind] = layout(clearing: true).parameters

    /// Whether a call of this provider and ID is already in the statement.
    func holds(_ call: NormalizedCall) -> Bool { keys.contains(CallKey(call)) }

    /// Adds `call` and its rows. False, and the statement unchanged, when a
    /// value is not of its column's kind (an integer in a text column): the
    /// parameters are typed once for every call, so such a call takes the
    /// general path, whose statements cast each value.
    mutating func append(_ call: NormalizedCall, _ children: ChildRows) -> Bool {
        precondition(!holds(call), "a call is in a statement once")
        var added: [[TransferValue]] = []
        added.reserveCapacity(columns.count)
        var kinds = Self.parameters.makeIterator()
        for value in call.databaseValues {
            guard let kind = kinds.next(), let value = TransferValue(value).typed(as: kind) else { return false }
            added.append([value])
        }
        for piece in Self.pieces {
            let rows = piece.rows(children).rows
            for column in piece.shape.kinds.indices {
                guard let kind = kinds.next() else { return false }
                var values: [TransferValue] = []
                values.reserveCapacity(rows.count)
                for row in rows {
                    guard let value = TransferValue(row[column]).typed(as: kind) else { return false }
                    values.append(value)
                }
                added.append(values)
            }
        }
        for (index, values) in added.enumerated() { columns[index] += values }
        keys.insert(CallKey(call))
        return true
    }

    // MARK: The text, made once

    private static let syncing = layout(clearing: true).sql
    private static let rebuilding = layout(clearing: false).sql

    /// Each child's piece of the statement: its name, rows, the piece its
    /// rows join (`c`, the calls; `t`, the turns), on which of its columns
    /// beyond provider and call ID, and what it returns for the pieces after it.
    private static let pieces: [(name: String, shape: TableShape, rows: @Sendable (ChildRows) -> TableRows, parent: String,
                                 joinedOn: [(column: Int, parentColumn: String)], returning: String)] = [
        ("t", ChildRows.turnShape, { $0.turns }, "c", [], " RETURNING id, provider, call_id, turn_index"),
        ("l", ChildRows.latencyShape, { $0.latencies }, "t", [(ChildRows.latencyTurnIndex, "turn_index")], ""),
        ("a", ChildRows.analysisShape, { $0.analysis }, "c", [], ""),
        ("p", ChildRows.fieldShape, { $0.fields }, "c", [], ""),
        ("s", ChildRows.sampleShape, { $0.samples }, "c", [], ""),
    ]

    private static func layout(clearing: Bool) -> (sql: String, parameters: [ColumnKind]) {
        var parameters: [ColumnKind] = []
        func rows(_ kinds: [ColumnKind], named names: String? = nil) -> String {
            let arrays = kinds.map { kind in
                parameters.append(kind)
                return "$\(parameters.count)::\(TransferPlan.postgresType(kind))[]"
            }
            return "unnest(\(arrays.joined(separator: ", ")))" + (names.map { " AS v(\($0))" } ?? "")
        }
        let callKinds = NormalizedCall.writtenColumns.map { ArchiveTable.calls.column($0).kind }
        // A row the upsert inserted has no deleting transaction: `xmax = 0`.
        var sql = "WITH c AS (\(NormalizedCall.insertHead) SELECT * FROM \(rows(callKinds))\(NormalizedCall.upsertConflict)"
            + " RETURNING id, provider, call_id, (xmax = 0) AS inserted)"
        if clearing {
            sql += ",\nf AS (DELETE FROM sync_failures d USING c WHERE d.provider = c.provider AND d.call_id = c.call_id)"
        }
        // Every child row's values start with its call's provider and call ID (`ChildRows`).
        for piece in pieces {
            let names = piece.shape.kinds.indices.map { "column\($0 + 1)" }.joined(separator: ", ")
            let p = piece.parent
            let on = ["\(p).provider = v.column1", "\(p).call_id = v.column2"] + piece.joinedOn.map { "\(p).\($0.parentColumn) = v.column\($0.column + 1)" }
            sql += ",\n\(piece.name) AS (INSERT INTO \(piece.shape.table.name) (\(piece.shape.columns.joined(separator: ", "))) "
                + "SELECT \(p).id, v.* FROM \(rows(piece.shape.kinds, named: names)) JOIN \(p) ON "
                + (p == "c" ? "c.inserted AND " : "") + on.joined(separator: " AND ") + piece.returning + ")"
        }
        return (sql + "\nSELECT id, provider, call_id, inserted FROM c", parameters)
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
