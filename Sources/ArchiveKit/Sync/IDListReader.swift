import Foundation

/// One meaningful line of an ID list.
public enum IDLine: Sendable, Equatable {
    case id(String, line: Int)
    case invalid(line: Int, reason: String)
}

/// Where a sync's call IDs come from: a list file, a vendor's List Calls, or
/// the archive itself (calls missing their recording). Pulled in chunks, so no
/// source is ever read further ahead than the sync can use.
public protocol IDSource: Sendable {
    /// The next lines, as soon as at least one is available; nil at the end.
    func next() async -> [IDLine]?
}

/// Reads an ID list as a stream: one ID per line, whitespace trimmed, blank and
/// `#` lines skipped, and lines that cannot be IDs reported by number.
///
/// The consumer pulls chunks; each blocking read runs on the source's own
/// serial queue, so a slow pipe on standard input never blocks the concurrency
/// pool, and nothing is read ahead of what the sync can use.
public final class IDListSource: IDSource, @unchecked Sendable {
    // `handle` and `splitter` are only touched on `queue`.
    private let handle: FileHandle
    private var splitter = LineSplitter()
    private var pending: [IDLine] = []
    private var atEnd = false
    private let queue = DispatchQueue(label: "archive.id-list")

    public init(handle: FileHandle) { self.handle = handle }

    /// Opens a list: a path, or `-` for standard input.
    public convenience init(path: String) throws(InputError) {
        if path == "-" {
            self.init(handle: FileHandle.standardInput)
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotRead(path, "no such file")
        }
        guard !isDirectory.boolValue else { throw .cannotRead(path, "it is a directory, not a file of IDs") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .cannotRead(path, "permission denied")
        }
        if let offset = Self.binaryMarker(in: (try? handle.read(upToCount: 8192)) ?? Data()) {
            throw .cannotRead(path, "it looks like a binary file (a NUL byte at offset \(offset) and bytes that are not UTF-8), not a list of call IDs")
        }
        try? handle.seek(toOffset: 0)
        self.init(handle: handle)
    }

    /// A file's first bytes look binary when they hold a NUL byte and are not
    /// UTF-8 text (as git and grep judge). A text list with a stray NUL on one
    /// line is not binary: that line alone is reported.
    static func binaryMarker(in head: Data) -> Int? {
        guard let nul = head.firstIndex(of: 0) else { return nil }
        // A UTF-8 sequence cut at the end of the sample is not evidence.
        let sample = head.prefix(max(0, head.count - 3))
        return String(validating: sample, as: UTF8.self) == nil ? nul - head.startIndex : nil
    }

    /// The next lines, as soon as at least one is available; nil at the end.
    public func next() async -> [IDLine]? {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.readChunk()) }
        }
    }

    private func readChunk() -> [IDLine]? {
        while pending.isEmpty, !atEnd {
            let data = handle.availableData
            if data.isEmpty {
                atEnd = true
                if let last = splitter.finish() { pending.append(last) }
            } else {
                pending += splitter.feed(data)
            }
        }
        guard !pending.isEmpty else { return nil }
        let count = min(pending.count, IDListSource.chunkSize)
        let chunk = Array(pending.prefix(count))
        pending.removeFirst(count)
        return chunk
    }

    /// The longest ID accepted, in UTF-8 bytes. Vendor IDs are UUID-sized.
    public static let maxIDBytes = 256
    /// Longer lines are skipped unread rather than buffered.
    static let maxLineBytes = 64 * 1024
    static let chunkSize = 512

    /// Classifies one line's bytes (without its newline).
    static func classify(_ bytes: some Collection<UInt8>, line: Int) -> IDLine? {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .invalid(line: line, reason: "not valid UTF-8 text")
        }
        let id = text.trimmingWhitespace()
        if id.isEmpty || id.hasPrefix("#") { return nil }
        if id.utf8.count > maxIDBytes {
            return .invalid(line: line, reason: "\(id.utf8.count) bytes long; an ID has at most \(maxIDBytes)")
        }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            return .invalid(line: line, reason: "contains control characters")
        }
        return .id(id, line: line)
    }
}

/// Splits bytes into lines across chunk boundaries, refusing to buffer lines
/// longer than `IDListSource.maxLineBytes`.
struct LineSplitter {
    private var pending: [UInt8] = []
    private var overlong = false
    private var lineNumber = 0

    mutating func feed(_ data: Data) -> [IDLine] {
        var out: [IDLine] = []
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            append(data[start..<newline])
            if let line = endLine() { out.append(line) }
            start = data.index(after: newline)
        }
        append(data[start...])
        return out
    }

    mutating func finish() -> IDLine? {
        pending.isEmpty && !overlong ? nil : endLine()
    }

    private mutating func append(_ bytes: Data) {
        guard !overlong else { return }
        if pending.count + bytes.count > IDListSource.maxLineBytes {
            overlong = true
            pending.removeAll()
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func endLine() -> IDLine? {
        lineNumber += 1
        defer {
            pending.removeAll(keepingCapacity: true)
            overlong = false
        }
        if overlong {
            return .invalid(line: lineNumber, reason: "longer than \(IDListSource.maxLineBytes) bytes; an ID has at most \(IDListSource.maxIDBytes)")
        }
        return IDListSource.classify(pending, line: lineNumber)
    }
}

/// An ID list that cannot be read at all.
public enum InputError: Error, Sendable, CustomStringConvertible {
    case cannotRead(String, String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read the ID list \(path): \(reason)."
        }
    }
}
