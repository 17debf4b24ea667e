import Foundation

/// Buffered text output to a file descriptor (or to memory, for tests).
///
/// Query results can be millions of rows: they are written as they come, in
/// 64 KiB chunks, so memory stays flat and a pipe to `head` sees rows at once.
public final class OutputBuffer {
    private let fd: Int32?
    private var pending: [UInt8] = []
    /// Everything written, when the buffer targets memory.
    public private(set) var captured: [UInt8] = []
    private let chunk = 1 << 16

    /// Writes to a file descriptor, by default standard output.
    public convenience init(fd: Int32 = STDOUT_FILENO) {
        self.init(target: fd)
    }

    /// Collects output in memory (`captured`), for tests.
    public static func memory() -> OutputBuffer { OutputBuffer(target: nil) }

    private init(target: Int32?) {
        fd = target
        pending.reserveCapacity(chunk)
    }

    /// Whether this output is an interactive terminal.
    public var isTerminal: Bool { fd.map { isatty($0) == 1 } ?? false }

    /// The terminal's width in columns, when known.
    public var terminalColumns: Int? {
        if let fd, isatty(fd) == 1 {
            var size = winsize()
            if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
    }

    public func write(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= chunk { flush() }
    }

    public func flush() {
        guard !pending.isEmpty else { return }
        if let fd {
            pending.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
                }
            }
        } else {
            captured.append(contentsOf: pending)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// The captured output as text (memory buffers only).
    public var text: String {
        flush()
        return String(decoding: captured, as: UTF8.self)
    }

    deinit { flush() }
}
