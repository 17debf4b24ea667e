import ArchiveKit
import PostgresNIO

/// What went wrong with a PostgreSQL archive, phrased for the person running
/// the command. The archive is named by its URL without the password, and no
/// message repeats a statement's values (PostgresNIO's own descriptions are
/// kept out for the same reason).
public enum PostgresStoreError: Error, Sendable, CustomStringConvertible, UserFacingError {
    case cannotConnect(location: String, reason: String)
    case passwordRejected(location: String)
    case passwordMissing(location: String)
    case tlsUnavailable(location: String)
    case tlsRefused(location: String, reason: String)
    case noSuchDatabase(location: String)
    case notAllowed(location: String, message: String)
    case newerSchema(location: String, unknownMigrations: [String])
    case server(location: String, sqlState: String, message: String)
    case unexpected(location: String, message: String)

    init(_ error: PSQLError, location: PostgresLocation) {
        let shown = location.description
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "no message"
            switch state {
            case "28P01", "28000": self = .passwordRejected(location: shown)
            case "3D000": self = .noSuchDatabase(location: shown)
            case "42501": self = .notAllowed(location: shown, message: message)
            default: self = .server(location: shown, sqlState: state, message: message)
            }
        case .authMechanismRequiresPassword: self = .passwordMissing(location: shown)
        case .sslUnsupported: self = .tlsUnavailable(location: shown)
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .failedToAddSSLHandler, .poolClosed:
            if let underlying = error.underlying, let tls = Self.tlsReason(underlying) {
                self = .tlsRefused(location: shown, reason: tls)
                return
            }
            self = .cannotConnect(location: shown, reason: error.underlying.map { "\($0)" } ?? "\(error.code)")
        default:
            self = .unexpected(location: shown, message: "\(error.code)")
        }
    }

    /// NIOSSL's errors, said plainly; nil for an error that is not TLS's.
    static func tlsReason(_ error: any Error) -> String? {
        switch error {
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            "its certificate does not name this host"
        case let error as NIOSSLError:
            if case .handshakeFailed = error, "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
                "its certificate is not signed by an authority this machine trusts, nor by one in sslrootcert's file"
            } else if case .failedToLoadCertificate = error {
                "sslrootcert's file cannot be read as PEM certificates"
            } else {
                "\(error)"
            }
        case let error as NIOSSLExtraError:
            "\(error)"
        default:
            nil
        }
    }

    public var exitStatus: ExitStatus { .database }

    public var description: String {
        switch self {
        case .cannotConnect(let location, let reason):
            "cannot connect to the PostgreSQL archive \(location): \(reason). Check the host and port, and that the server is running."
        case .passwordRejected(let location):
            "PostgreSQL rejected the login to \(location). Check the user and the password (in the URL, PGPASSWORD or ~/.pgpass)."
        case .passwordMissing(let location):
            "PostgreSQL asks for a password for \(location), and none was given. Put it in PGPASSWORD or ~/.pgpass (or the URL)."
        case .tlsUnavailable(let location):
            "the PostgreSQL server of \(location) does not offer TLS, which its sslmode asks for. Enable TLS on the server, or use sslmode=disable on a trusted network."
        case .tlsRefused(let location, let reason):
            "the PostgreSQL server of \(location) failed TLS verification: \(reason). With sslmode=verify-full its certificate must be signed by an authority the system trusts, or by one in the file sslrootcert names, and name the host of the URL."
        case .noSuchDatabase(let location):
            "the database of \(location) does not exist. Create it first (createdb), owned by the archive's user."
        case .notAllowed(let location, let message):
            "PostgreSQL refused an action on \(location): \(message). The archive's user must own its database (or its schema)."
        case .newerSchema(let location, let unknown):
            StoreError.newerSchemaMessage(archive: location, unknownMigrations: unknown)
        case .server(let location, let state, let message):
            "PostgreSQL error on \(location) (SQLSTATE \(state)): \(message)"
        case .unexpected(let location, let message):
            "unexpected PostgreSQL failure on \(location): \(message)"
        }
    }
}
