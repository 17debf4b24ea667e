import Foundation

/// A vendor base URL that is safe to send an API key to: HTTPS, or plain HTTP
/// only to this machine (the simulator, a local proxy). No credentials, query
/// or fragment, which could leak into logs or the database.
public struct BaseURL: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    /// The path prefix without a trailing slash, e.g. `/api`.
    public let path: String

    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(port.map { ":\($0)" } ?? "")\(path)"
    }

    public init(_ text: String) throws(ConfigurationError) {
        guard let components = URLComponents(string: text.trimmingWhitespace()),
              let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else { throw .invalidBaseURL(text, "it is not an absolute URL like https://api.example.com") }
        guard scheme == "https" || scheme == "http" else {
            throw .invalidBaseURL(text, "only https:// (or http:// to this machine) is supported")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidBaseURL(text, "credentials in the URL are not allowed; the API key comes from the environment")
        }
        guard components.query == nil, components.fragment == nil else {
            throw .invalidBaseURL(text, "a query or fragment is not allowed")
        }
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if scheme == "http", !Self.isLoopback(bareHost) {
            throw .invalidBaseURL(text, "plain http:// would send the API key unencrypted; use https://, or http:// only to 127.0.0.1 or localhost")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.scheme = scheme
        self.host = bareHost
        self.port = components.port
        self.path = path
    }

    public static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" || lower.hasSuffix(".localhost") { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether `url` has this base's origin (scheme, host and port, with the
    /// scheme's default port filled in): the only place the API key may go.
    public func isSameOrigin(_ url: URLComponents) -> Bool {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return false }
        func port(_ scheme: String, _ explicit: Int?) -> Int { explicit ?? (scheme == "https" ? 443 : 80) }
        return scheme == self.scheme && host == self.host.lowercased() && port(scheme, url.port) == port(self.scheme, self.port)
    }

    /// `{base}/{path}/{id}`, the ID percent-encoded as exactly one path segment:
    /// the shape of a Get Call URL (`calls/{id}` for PureTalk and PuppeteerAI).
    public func url(_ path: String, segment id: String) -> String {
        "\(description)/\(path)/\(Self.encodePathSegment(id))"
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, so `/`,
    /// `?`, `#`, `%` and spaces cannot change the request's meaning. An ID made
    /// only of dots is encoded whole, so it cannot become a `.`/`..` segment.
    public static func encodePathSegment(_ id: String) -> String {
        let onlyDots = !id.isEmpty && id.allSatisfy { $0 == "." }
        var out = ""
        out.reserveCapacity(id.utf8.count)
        for byte in id.utf8 {
            let unreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F || byte == 0x7E
                || (byte == 0x2E && !onlyDots)
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// A setting that cannot work, found before any request is made.
public enum ConfigurationError: Error, Sendable, CustomStringConvertible {
    case invalidBaseURL(String, String)
    case missingAPIKey(variable: String, provider: Provider)
    case apiKeyFile(String, String)

    public var description: String {
        switch self {
        case .invalidBaseURL(let url, let reason):
            "invalid --base-url \(url.debugDescription): \(reason)."
        case .missingAPIKey(let variable, let provider):
            "no \(provider.displayName) API key: pass --api-key-file or set \(variable) in the environment (try 'archive demo' to see the tool work without one)."
        case .apiKeyFile(let path, let reason):
            "cannot read the API key from --api-key-file \(path): \(reason)."
        }
    }
}
