import ArchiveKit
import Foundation

/// How `archive serve` is set up, and the rules that decide whether it may
/// start: kept apart from the server so they are tested without a socket.
public struct ViewerConfiguration: Sendable {
    public var databasePath: String
    public var recordingsDirectory: String
    public var host = "127.0.0.1"
    public var port = 8001
    /// Required for an address other than loopback; every request must then carry it.
    public var token: AccessToken?
    /// Each request's database work is interrupted after this many seconds.
    public var queryTimeout = 10.0
    /// Connections served at once; more wait in the listen backlog.
    public var maxConnections = 64
    /// Rows on a page of calls or search results.
    public var pageSize = 50

    public init(databasePath: String, recordingsDirectory: String) {
        self.databasePath = databasePath
        self.recordingsDirectory = recordingsDirectory
    }

    /// Refuses what is not safe by default: the archive holds phone numbers,
    /// transcripts and recordings, so it is served beyond this machine only
    /// behind a token.
    public func validate() throws(ViewerSetupError) {
        guard (0...65_535).contains(port) else { throw .badPort(port) }
        if token == nil && !Self.isLoopback(host) { throw .tokenRequired(host: host) }
    }

    /// Whether `host` names this machine's loopback interface only.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Why the viewer will not start; phrased for the person at the terminal.
public enum ViewerSetupError: Error, Sendable, Equatable, CustomStringConvertible, UserFacingError {
    case badPort(Int)
    case tokenRequired(host: String)
    case tokenFile(path: String, reason: String)
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .badPort(let port):
            "--port \(port) is not a TCP port; use 1 to 65535 (or 0 for any free port)."
        case .tokenRequired(let host):
            "--host \(host) would serve the archive (phone numbers, transcripts, recordings) beyond this machine. Pass --token-file with a secret of at least 16 characters, or keep the default 127.0.0.1."
        case .tokenFile(let path, let reason):
            "cannot use --token-file \(path): \(reason)."
        case .cannotListen(let host, let port, let reason):
            "cannot listen on \(host):\(port): \(reason). Choose another --port, or stop what is using it."
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .cannotListen: .someFailed
        default: .usage
        }
    }
}
