/// The answer to a `Range` header (RFC 9110 §14), decided apart from the I/O.
enum ByteRange: Equatable {
    /// No usable range: send the whole file, 200.
    case whole
    /// One satisfiable range: 206 with these bytes (inclusive bounds).
    case partial(ClosedRange<Int>)
    /// Nothing of the file lies in the range: 416.
    case unsatisfiable

    /// One `bytes=` range: `a-b`, `a-` or `-suffix`. A header in another
    /// unit, several ranges or a malformed one is ignored (the whole file),
    /// as the RFC allows; a well-formed range past the end is 416.
    init(header: String?, size: Int) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { self = .whole; return }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { self = .whole; return }
        let first = parts[0], last = parts[1]
        if first.isEmpty {
            guard let suffix = Int(last), suffix >= 0 else { self = .whole; return }
            guard suffix > 0, size > 0 else { self = .unsatisfiable; return }
            self = .partial(max(0, size - suffix)...(size - 1))
            return
        }
        guard let start = Int(first), start >= 0 else { self = .whole; return }
        let end: Int
        if last.isEmpty {
            end = size - 1
        } else {
            guard let value = Int(last), value >= start else { self = .whole; return }
            end = min(value, size - 1)
        }
        self = start < size ? .partial(start...end) : .unsatisfiable
    }
}

private extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}

private extension Set<Character> {
    static var whitespaces: Set<Character> { [" ", "\t"] }
}
