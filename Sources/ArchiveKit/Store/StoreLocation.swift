import Foundation

/// Where an archive lives, as `--db` or `ARCHIVE_DB` names it: an SQLite file,
/// or a PostgreSQL server's `postgres://` (or `postgresql://`) URL.
///
/// The URL's password is held apart and never part of `description`, so that
/// no message, log line or `sync_runs` row that names the archive can carry it.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Reads `--db`'s value. Anything that does not start with a PostgreSQL
    /// scheme is a file path, as before; a malformed URL is refused, not taken
    /// for a file name.
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreLocationError) -> StoreLocation {
        let lower = text.lowercased()
        guard lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") else { return .sqlite(path: text) }
        return .postgres(try PostgresLocation(url: text, environment: environment))
    }

    /// The archive as messages name it: the path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }
}

/// A PostgreSQL archive's connection settings, from a libpq-style URL:
/// `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…]`.
///
/// Defaults follow `psql`: user `$PGUSER`, else `$USER`; host `$PGHOST`, else
/// 127.0.0.1; port `$PGPORT`, else 5432; database the user's name; password
/// from the URL, else `$PGPASSWORD`, else the first matching line of
/// `~/.pgpass` (or `$PGPASSFILE`).
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS if the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS, without checking the certificate.
        case require
        /// TLS, with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert`: a PEM file of the authorities `verify-full` trusts, for a
    /// server whose certificate a private authority signed; nil, the system's.
    public var rootCertificates: String?
    /// Never printed: see `description`.
    public var password: String?

    public init(url text: String, environment: [String: String]) throws(StoreLocationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql"
        else { throw .malformed(Self.redacting(text), reason: "it is not a URL of the form postgres://user@host:5432/dbname") }
        let shown = Self.redacting(text)
        user = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGHOST"] ?? "127.0.0.1"
        if let port = components.port {
            guard (1...65535).contains(port) else { throw .malformed(shown, reason: "the port \(port) is out of range") }
            self.port = port
        } else if let port = environment["PGPORT"].flatMap(Int.init) {
            self.port = port
        } else {
            port = 5432
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw .malformed(shown, reason: "the database name cannot contain '/'") }
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        sslMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw .malformed(shown, reason: "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw .malformed(shown, reason: "sslrootcert needs a file's path") }
                rootCertificates = value
            default:
                throw .malformed(shown, reason: "the parameter \(item.name.debugDescription) is not supported (only sslmode and sslrootcert are)")
            }
        }
        password = components.password.flatMap { $0.removingPercentEncoding }
            ?? environment["PGPASSWORD"]
            ?? PasswordFile.password(host: host, port: port, database: database, user: user, environment: environment)
    }

    /// The URL with no password: what every message shows.
    public var description: String {
        let userPart = user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
        let dbPart = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let roots = rootCertificates.map { "&sslrootcert=" + ($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0) } ?? ""
        return "postgres://\(userPart)@\(hostPart):\(port)/\(dbPart)?sslmode=\(sslMode.rawValue)" + roots
    }

    /// `text` with whatever stands between `user:` and `@` replaced, for messages
    /// about a URL too broken to parse.
    static func redacting(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let authority = rest[..<at]
        guard let colon = authority.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(rest[at...])
    }
}

/// libpq's password file: `hostname:port:database:username:password` lines,
/// `*` matching anything, `\:` and `\\` escaped; ignored unless only its owner can read it.
enum PasswordFile {
    static func password(host: String, port: Int, database: String, user: String, environment: [String: String]) -> String? {
        let path = environment["PGPASSFILE"] ?? environment["HOME"].map { $0 + "/.pgpass" }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 == 0 else { return nil }
        return password(in: text, host: host, port: port, database: database, user: user)
    }

    static func password(in text: String, host: String, port: Int, database: String, user: String) -> String? {
        let wanted = [host, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = self.fields(line)
            guard fields.count == 5 else { continue }
            let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in
                field == "*" || field == value
            }
            if matches { return fields[4] }
        }
        return nil
    }

    private static func fields(_ line: Substring) -> [String] {
        var fields: [String] = [], current = ""
        var escaped = false
        for ch in line {
            if escaped { current.append(ch); escaped = false }
            else if ch == "\\" { escaped = true }
            else if ch == ":" { fields.append(current); current = "" }
            else { current.append(ch) }
        }
        fields.append(current)
        return fields
    }
}

public enum StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL as shown (its password replaced), and what is wrong with it.
    case malformed(String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let url, let reason):
            "cannot use \(url) as an archive: \(reason)."
        }
    }
}
