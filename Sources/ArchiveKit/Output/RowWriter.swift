import GRDB

/// One value in a result row, as every output format sees it.
public enum Cell: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .text(data.base64EncodedString())
        }
    }

    /// The value as plain text; NULL is empty.
    public var text: String {
        switch self {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): "\(d)"
        case .text(let s): s
        }
    }

    var isNumber: Bool {
        switch self {
        case .integer, .real: true
        default: false
        }
    }

    var json: JSONValue {
        switch self {
        case .null: .null
        case .integer(let i): .number(String(i))
        case .real(let d): d.isFinite ? .number("\(d)") : .null
        case .text(let s): .string(s)
        }
    }
}

/// The ways rows can be printed (`--format`).
public enum RowFormat: String, CaseIterable, Sendable {
    /// Aligned columns sized to the terminal; the default on a terminal.
    case table
    /// Tab-separated with a header line; the default when piped.
    case tsv
    /// One JSON array of objects keyed by column name.
    case json
    /// One JSON object per line.
    case ndjson
    /// RFC 4180: a header, CRLF line ends, fields quoted when needed.
    case csv
}

/// Streams rows in one `RowFormat`: every format but `table` writes each row
/// as it arrives; `table` measures its first rows to size the columns, then
/// streams the rest clipped to those widths.
public final class RowWriter {
    private let format: RowFormat
    private let columns: [String]
    private let output: OutputBuffer
    private let maxWidth: Int?
    /// Rows written so far.
    public private(set) var rowCount = 0
    private var sample: [[Cell]] = []
    private var widths: [Int]?
    private var rightAligned: [Bool] = []
    private static let sampleSize = 200

    public init(format: RowFormat, columns: [String], output: OutputBuffer, maxWidth: Int? = nil) {
        self.format = format
        self.columns = columns
        self.output = output
        self.maxWidth = maxWidth
        switch format {
        case .tsv: output.write(columns.map(Self.tsvField).joined(separator: "\t") + "\n")
        case .csv: output.write(columns.map(Self.csvField).joined(separator: ",") + "\r\n")
        case .json: output.write("[")
        case .table, .ndjson: break
        }
    }

    public func write(_ row: [Cell]) {
        defer { rowCount += 1 }
        switch format {
        case .tsv: output.write(row.map { Self.tsvField($0.text) }.joined(separator: "\t") + "\n")
        case .csv: output.write(row.map { $0 == .null ? "" : Self.csvField($0.text) }.joined(separator: ",") + "\r\n")
        case .ndjson: output.write(object(row).jsonText + "\n")
        case .json: output.write((rowCount == 0 ? "\n" : ",\n") + object(row).jsonText)
        case .table:
            if widths == nil {
                sample.append(row)
                if sample.count >= Self.sampleSize { layOut() }
            } else {
                writeTableRow(row)
            }
        }
    }

    /// Ends the output (closes the JSON array, prints a buffered table).
    public func finish() {
        switch format {
        case .json: output.write(rowCount == 0 ? "]\n" : "\n]\n")
        case .table: if widths == nil { layOut() }
        case .tsv, .ndjson, .csv: break
        }
        output.flush()
    }

    private func object(_ row: [Cell]) -> JSONValue {
        .object(JSONObject(zip(columns, row).map { ($0, $1.json) }))
    }

    // MARK: Table

    private func layOut() {
        var natural = columns.map { TextWidth.of($0) }
        var prose = Array(repeating: false, count: columns.count)
        rightAligned = Array(repeating: true, count: columns.count)
        for row in sample {
            for (i, cell) in row.enumerated() where i < natural.count {
                let text = Self.tableText(cell)
                natural[i] = max(natural[i], TextWidth.of(text))
                if cell != .null && !cell.isNumber { rightAligned[i] = false }
                if text.contains(" ") { prose[i] = true }
            }
        }
        widths = Self.fit(natural, into: maxWidth, minimums: columns.map { min(TextWidth.of($0), 8) }, prose: prose)
        output.write(columns.enumerated().map { pad($0.element, $0.offset, header: true) }.joined(separator: "  ").trimmingTrailingSpaces + "\n")
        output.write(widths!.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n")
        for row in sample { writeTableRow(row) }
        sample = []
    }

    private func writeTableRow(_ row: [Cell]) {
        output.write(row.enumerated().map { pad(Self.tableText($0.element), $0.offset, header: false) }
            .joined(separator: "  ").trimmingTrailingSpaces + "\n")
    }

    private func pad(_ text: String, _ column: Int, header: Bool) -> String {
        guard let width = widths?[column] else { return text }
        let clipped = TextWidth.clip(text, to: width)
        let padding = String(repeating: " ", count: max(0, width - TextWidth.of(clipped)))
        return rightAligned[column] && !header ? padding + clipped : clipped + padding
    }

    /// Shrinks columns until the row fits `total` (two spaces apart): the
    /// widest prose column first (down to 16), then the widest of any kind, so
    /// IDs and times stay whole as long as possible.
    static func fit(_ natural: [Int], into total: Int?, minimums: [Int], prose: [Bool]) -> [Int] {
        guard let total else { return natural }
        var widths = natural
        let gaps = 2 * max(0, widths.count - 1)
        func widest(_ candidates: [Int]) -> Int? { candidates.max { widths[$0] < widths[$1] } }
        while widths.reduce(0, +) + gaps > total {
            let shrinkable = widths.indices.filter { widths[$0] > max(minimums[$0], 4) }
            guard let column = widest(shrinkable.filter { prose[$0] && widths[$0] > 16 }) ?? widest(shrinkable) else { break }
            widths[column] -= 1
        }
        return widths
    }

    /// Tables show one line per row: control characters become spaces, NULL is empty.
    static func tableText(_ cell: Cell) -> String {
        String(String.UnicodeScalarView(cell.text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    // MARK: Delimited text

    static func tsvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { "\t\n\r\\".unicodeScalars.contains($0) }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func csvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
