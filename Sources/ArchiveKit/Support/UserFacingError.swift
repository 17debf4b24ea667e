/// The documented exit codes (README, "Exit codes"). Each error that reaches
/// the person running a command carries its own, so only `main` prints and exits.
public struct ExitStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = ExitStatus(rawValue: 0)
    /// Some IDs failed, or the call asked for is not archived.
    public static let someFailed = ExitStatus(rawValue: 1)
    /// A usage or input error.
    public static let usage = ExitStatus(rawValue: 2)
    /// The vendor rejected the API key.
    public static let authRejected = ExitStatus(rawValue: 3)
    /// The archive database (or the recordings directory) cannot be used.
    public static let database = ExitStatus(rawValue: 4)
    /// A query hit `--timeout`.
    public static let timedOut = ExitStatus(rawValue: 5)
    /// The vendor kept failing and the run stopped.
    public static let vendorUnavailable = ExitStatus(rawValue: 6)

    /// 130 for SIGINT, 143 for SIGTERM, as shells report them.
    public static func interrupted(by signal: Int32) -> ExitStatus { ExitStatus(rawValue: 128 + signal) }

    public var description: String { String(rawValue) }
}

/// An error phrased for the person running the command: its description says
/// what went wrong and what to do, and it knows the exit code it deserves,
/// as Hummingbird's `HTTPResponseError` knows its HTTP status.
public protocol UserFacingError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}

extension StoreError: UserFacingError {
    public var exitStatus: ExitStatus { .database }
}

extension StoreLocationError: UserFacingError {
    public var exitStatus: ExitStatus { .usage }
}

extension RecordingStoreError: UserFacingError {
    public var exitStatus: ExitStatus { .database }
}

extension ConfigurationError: UserFacingError {
    public var exitStatus: ExitStatus { .usage }
}

extension InputError: UserFacingError {
    public var exitStatus: ExitStatus { .usage }
}

extension QueryError: UserFacingError {
    public var exitStatus: ExitStatus {
        if case .timedOut = self { .timedOut } else { .usage }
    }
}

extension ListingError: UserFacingError {
    public var exitStatus: ExitStatus {
        switch self {
        case .authRejected: .authRejected
        case .unavailable: .vendorUnavailable
        case .invalidBody, .vendor, .failed: .someFailed
        }
    }
}
