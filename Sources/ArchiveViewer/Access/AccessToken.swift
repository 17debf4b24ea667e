import ArchiveKit
import Crypto
import Foundation

/// The secret that guards a viewer served beyond loopback. It is read from a
/// file (never from the command line, where `ps` shows it) and is never
/// printed, logged or stored.
public struct AccessToken: Sendable, CustomStringConvertible {
    /// Its SHA-256: requests are checked against the digest, in constant time.
    private let digest: [UInt8]

    public static let minimumLength = 16

    /// The token in `path`, its surrounding whitespace trimmed.
    public init(file path: String) throws(ViewerSetupError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .tokenFile(path: path, reason: "it cannot be read as UTF-8 text")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= Self.minimumLength else {
            throw .tokenFile(path: path, reason: "the token must be at least \(Self.minimumLength) characters")
        }
        // It travels in a cookie: RFC 6265's cookie-octets are printable ASCII but for space, '"', ',', ';' and '\'.
        guard token.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && !"\",;\\".unicodeScalars.contains($0) }) else {
            throw .tokenFile(path: path, reason: "the token must be printable ASCII without spaces, '\"', ',', ';' or '\\'")
        }
        self.init(token)
    }

    init(_ token: String) {
        digest = Array(SHA256.hash(data: Data(token.utf8)))
    }

    /// Whether `candidate` is the token. Both sides are hashed first, so the
    /// comparison takes the same time whatever the candidate's length or
    /// how much of it matches.
    public func matches(_ candidate: String) -> Bool {
        let other = Array(SHA256.hash(data: Data(candidate.utf8)))
        var difference: UInt8 = 0
        for (a, b) in zip(digest, other) { difference |= a ^ b }
        return difference == 0
    }

    /// Never the secret itself.
    public var description: String { "AccessToken(redacted)" }
}
