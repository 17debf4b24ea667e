import Crypto
import Foundation

/// The recordings directory beside the archive: each file is named by the
/// SHA-256 of its bytes (`ab/ab12…ef.wav`), so identical audio is stored once
/// and any file can be checked with `sha256sum`.
///
/// Files arrive through `.tmp/`: written there, synced, then renamed into
/// place, so the store itself never holds a partial file. A download killed
/// halfway leaves only its temp file, which the next run deletes.
public struct RecordingStore: Sendable {
    public let directory: String

    /// `<db>.recordings`, the default beside the database file.
    public static func defaultDirectory(forDatabase path: String) -> String { path + ".recordings" }

    /// Opens (creating, owner-only) the store and removes temp files that no
    /// running process owns.
    public init(directory: String) throws(RecordingStoreError) {
        self.directory = directory
        for dir in [directory, tempDirectory] where mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw .cannotCreate(dir, String(cString: strerror(errno)))
        }
        sweepAbandonedTempFiles()
    }

    var tempDirectory: String { directory + "/.tmp" }

    /// The absolute path of a file named in `recordings.file`.
    public func path(of file: String) -> String { directory + "/" + file }

    /// A new, empty, owner-only temp file for one download.
    func makeTempFile() throws(RecordingStoreError) -> RecordingTempFile {
        let path = "\(tempDirectory)/\(getpid())-\(UUID().uuidString).part"
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreate(path, String(cString: strerror(errno))) }
        return RecordingTempFile(fd: fd, path: path)
    }

    /// Syncs the temp file and renames it into place as `file`; returns `file`.
    /// If the store already holds those bytes, the temp file is dropped.
    func commit(_ temp: RecordingTempFile, sha256: String, contentType: String?) throws(RecordingStoreError) -> String {
        try temp.syncAndClose()
        let prefix = String(sha256.prefix(2))
        let file = "\(prefix)/\(sha256)\(Self.fileExtension(for: contentType))"
        let folder = directory + "/" + prefix
        if mkdir(folder, 0o700) != 0 && errno != EEXIST { throw .cannotCreate(folder, String(cString: strerror(errno))) }
        guard rename(temp.path, path(of: file)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp.path)
            throw .cannotWrite(path(of: file), reason)
        }
        // The rename is durable only once the directory holding the name is synced.
        let dirFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        return file
    }

    /// Deletes `.part` files whose process has exited (killed mid-download).
    /// Files of a process still running (another sync) are left alone.
    func sweepAbandonedTempFiles() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tempDirectory) else { return }
        for name in names where name.hasSuffix(".part") {
            guard let pid = Int32(name.prefix { $0 != "-" }), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink("\(tempDirectory)/\(name)") }
        }
    }

    /// A file extension for common audio types, so players open the files; none otherwise.
    static func fileExtension(for contentType: String?) -> String {
        let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return switch type {
        case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave": ".wav"
        case "audio/mpeg", "audio/mp3": ".mp3"
        case "audio/ogg", "audio/opus": ".ogg"
        case "audio/webm": ".webm"
        case "audio/mp4", "audio/m4a", "audio/x-m4a": ".m4a"
        case "audio/flac", "audio/x-flac": ".flac"
        default: ""
        }
    }
}

/// One download's temp file. Writes go straight to the file descriptor, so a
/// recording is never held in memory.
final class RecordingTempFile: @unchecked Sendable {
    // Used by one download task at a time.
    private var fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(RecordingStoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw errno == ENOSPC ? .diskFull(path) : .cannotWrite(path, String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    /// Empties the file, for a download that starts over.
    func truncate() throws(RecordingStoreError) {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw .cannotWrite(path, String(cString: strerror(errno))) }
    }

    func syncAndClose() throws(RecordingStoreError) {
        defer { closeIfOpen() }
        guard fsync(fd) == 0 else {
            throw errno == ENOSPC ? .diskFull(path) : .cannotWrite(path, String(cString: strerror(errno)))
        }
    }

    /// Closes and deletes the file: the download failed.
    func discard() {
        closeIfOpen()
        unlink(path)
    }

    private func closeIfOpen() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { closeIfOpen() }
}

/// The recordings directory cannot be written.
public enum RecordingStoreError: Error, Sendable, CustomStringConvertible {
    case cannotCreate(String, String)
    case cannotWrite(String, String)
    case diskFull(String)
    case cannotRead(String, String)
    case damaged(String, found: String, expected: String)

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason):
            "cannot create \(path): \(reason). Check the directory, or choose another with --recordings-dir."
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)."
        case .cannotRead(let path, let reason):
            "cannot read \(path): \(reason)."
        case .damaged(let path, let found, let expected):
            "\(path) is damaged: its SHA-256 is \(found), not \(expected) as archived. Run 'archive recordings' after deleting its row (sqlite3 <db> \"DELETE FROM recordings WHERE sha256 = '\(expected)'\") to fetch it again."
        case .diskFull(let path):
            "the disk holding \(path) is full. Free some space and run the same command again; finished recordings are kept."
        }
    }
}

extension RecordingStore {
    /// Copies an archived file to `destination` (`-`: standard output),
    /// hashing it on the way; a file whose bytes no longer match its name is
    /// reported, and a partial copy removed.
    public static func copy(_ source: String, to destination: String, sha256 expected: String) throws(RecordingStoreError) {
        guard let input = FileHandle(forReadingAtPath: source) else {
            throw .cannotRead(source, FileManager.default.fileExists(atPath: source)
                ? "permission denied" : "the file is missing; check --recordings-dir, or fetch it again with 'archive recordings'")
        }
        defer { try? input.close() }
        let output: FileHandle
        if destination == "-" {
            output = FileHandle.standardOutput
        } else {
            let fd = open(destination, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .cannotCreate(destination, String(cString: strerror(errno))) }
            output = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        }
        var hasher = SHA256()
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                try output.write(contentsOf: chunk)
            }
        } catch {
            if destination != "-" { unlink(destination) }
            throw .cannotWrite(destination, "\(error)")
        }
        let digest = hasher.finalize().hex
        if digest != expected {
            if destination != "-" { unlink(destination) }
            throw .damaged(source, found: digest, expected: expected)
        }
    }
}
