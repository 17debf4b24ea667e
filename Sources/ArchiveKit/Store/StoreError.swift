import GRDB

/// Problems with the archive file itself, phrased for the person running the command.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case missing(path: String)
    case cannotCreate(path: String, reason: String)
    case notADatabase(path: String)
    case newerSchema(path: String, unknownMigrations: [String])
    case olderSchema(path: String)
    case readOnly(path: String)
    case diskFull(path: String)
    case busy(path: String)
    case sqlite(path: String, message: String)

    /// Phrases any error from opening or using the file; a `StoreError` passes through.
    init(_ error: any Error, path: String) {
        if let error = error as? StoreError {
            self = error
            return
        }
        guard let db = error as? DatabaseError else {
            self = .sqlite(path: path, message: String(describing: error))
            return
        }
        switch db.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: self = .notADatabase(path: path)
        case .SQLITE_READONLY, .SQLITE_PERM: self = .readOnly(path: path)
        case .SQLITE_CANTOPEN:
            self = .cannotCreate(path: path, reason: "SQLite cannot open it; check the directory exists and is writable")
        case .SQLITE_FULL: self = .diskFull(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy(path: path)
        default: self = .sqlite(path: path, message: db.message ?? db.description)
        }
    }

    public var description: String {
        switch self {
        case .missing(let path):
            "no archive at \(path). Run 'archive sync' first, or pass --db (or set ARCHIVE_DB)."
        case .cannotCreate(let path, let reason):
            "cannot create the archive at \(path): \(reason)."
        case .notADatabase(let path):
            "\(path) is not an SQLite archive (or it is damaged). Check --db points at the right file."
        case .newerSchema(let path, let unknown):
            Self.newerSchemaMessage(archive: path, unknownMigrations: unknown)
        case .olderSchema(let path):
            "\(path) uses an older archive schema and cannot be migrated because it is read-only. Make it writable (or copy it somewhere writable) and run the command again."
        case .readOnly(let path):
            "\(path) is read-only. Check the file's permissions, or copy it somewhere writable."
        case .diskFull(let path):
            "the disk holding \(path) is full. Free some space and run the same command again; what was committed is intact."
        case .busy(let path):
            "\(path) is locked by another process. Wait for it to finish and try again."
        case .sqlite(let path, let message):
            "database error on \(path): \(message)"
        }
    }

    /// Said the same way for either store: the archive is left untouched.
    public static func newerSchemaMessage(archive: String, unknownMigrations unknown: [String]) -> String {
        "\(archive) was written by a newer version of archive (schema migrations \(unknown.joined(separator: ", ")) are unknown to this one). Upgrade archive to use it; this version will not touch it."
    }
}
