import ArchiveKit
import Foundation
import PostgresNIO

/// `archive sql` on PostgreSQL: one query in a `READ ONLY` transaction, with
/// `statement_timeout` from `--timeout`, its rows streamed to a `RowWriter`.
///
/// PostgreSQL itself refuses any write in a read-only transaction; the text
/// also runs as a subquery (`SELECT row_to_json(q) FROM (…) q`), so it can be
/// one query only (SELECT, WITH, VALUES, TABLE), never a second statement or a
/// transaction command. Each row comes back as JSON text, which keeps the
/// columns' names and order whatever their types; a JSON column's value is
/// printed as its JSON text, a boolean as true or false, a time as PostgreSQL
/// writes it in JSON (ISO 8601 with its offset).
extension PostgresArchive {
    public func readOnlyQuery(_ text: String, parameters: [String: String], timeout: Double?,
                              makeWriter: ([String]) -> RowWriter) async throws {
        var sql = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while sql.hasSuffix(";") { sql = String(sql.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        let (numbered, declared) = Self.numberingParameters(sql)
        try ReadOnlyQuery.check(parameters, declared: declared)
        var bindings = PostgresBindings()
        for name in declared {
            // Sent untyped, as psql's variables are: PostgreSQL gives each the type its place in the query asks for.
            bindings.append(UntypedParameter(text: parameters[name]!))
        }
        let limit = timeout.map { "SET LOCAL statement_timeout = \(max(1, Int(($0 * 1000).rounded())))" } ?? "SET LOCAL statement_timeout = 0"
        do {
            try await transaction(readOnly: true) { connection in
                _ = try await send(PostgresQuery(unsafeSQL: limit), on: connection)
                // One row of NULLs names the columns, even for a query that returns no row.
                let header = try await send(PostgresQuery(
                    unsafeSQL: "SELECT row_to_json(q)::text FROM (SELECT q.* FROM (SELECT 1) AS one LEFT JOIN (\(numbered)) AS q ON false) AS q",
                    binds: bindings), on: connection)
                var columns: [String] = []
                for try await row in header { columns = try Self.object(row).map(\.key) }
                let writer = makeWriter(columns)
                let rows = try await send(PostgresQuery(unsafeSQL: "SELECT row_to_json(q)::text FROM (\(numbered)) AS q", binds: bindings),
                                          on: connection)
                for try await row in rows {
                    writer.write(try Self.object(row).map { Self.cell($0.value) })
                }
                writer.finish()
            }
        } catch let error as PostgresStoreError {
            throw Self.queryError(error, timeout: timeout) ?? error
        }
    }

    /// `:name` placeholders as `$1`, `$2`… (each name once), skipping quotes,
    /// comments and `::` casts; the names in order of first use.
    static func numberingParameters(_ sql: String) -> (sql: String, names: [String]) {
        var out = "", names: [String] = []
        let chars = Array(sql)
        var i = 0
        var quote: Character? = nil
        while i < chars.count {
            let ch = chars[i]
            if let q = quote {
                out.append(ch)
                if ch == q { quote = nil }
                i += 1
                continue
            }
            if ch == "'" || ch == "\"" { quote = ch; out.append(ch); i += 1; continue }
            if ch == ":", i + 1 < chars.count, chars[i + 1] == ":" { out += "::"; i += 2; continue }
            if ch == ":", i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1] == "_", i == 0 || chars[i - 1] != ":" {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                let name = String(chars[(i + 1)..<j])
                if !names.contains(name) { names.append(name) }
                out += "$\(names.firstIndex(of: name)! + 1)"
                i = j
                continue
            }
            out.append(ch)
            i += 1
        }
        return (out, names)
    }

    private static func object(_ row: PostgresRow) throws -> [(key: String, value: JSONValue)] {
        let text = try PostgresRandomAccessRow(row)[0].decode(String.self)
        guard case .object(let object) = try JSONParser.parse(text) else { return [] }
        return object.members
    }

    private static func cell(_ value: JSONValue) -> Cell {
        switch value {
        case .null: return .null
        case .number(let n): return Int64(n).map(Cell.integer) ?? Double(n).map(Cell.real) ?? .text(n)
        case .string(let s): return .text(s)
        case .bool(let b): return .text(b ? "true" : "false")
        case .array, .object: return .text(value.jsonText)
        }
    }

    /// PostgreSQL's answer about the user's query, phrased as on SQLite.
    private static func queryError(_ error: PostgresStoreError, timeout: Double?) -> QueryError? {
        guard case .server(_, let state, let message) = error else { return nil }
        switch state {
        case "57014": return .timedOut(seconds: timeout ?? 0)
        case "25006": return .notReadOnly(reason: "the statement would change the database (\(message))")
        case "42601" where message.contains("syntax error"):
            return .invalidSQL(reason: "\(message); on PostgreSQL, archive sql runs one query (SELECT, WITH, VALUES or TABLE)")
        default:
            return state.hasPrefix("42") || state.hasPrefix("22") || state.hasPrefix("0A") ? .invalidSQL(reason: message) : nil
        }
    }
}

/// A `--param` value sent as text of no declared type (OID 0), as psql's
/// variables are: the server types it by where it stands in the query.
private struct UntypedParameter: PostgresDynamicTypeEncodable {
    var text: String
    var psqlType: PostgresDataType { PostgresDataType(0) }
    var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }
}
