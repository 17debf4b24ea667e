import ArchiveKit

/// A failure the command line phrases itself: a call that is not archived, an
/// ambiguous ID, a run that ended with failures. `messages` may be empty when
/// the summary already said everything and only the exit code is left to give.
public struct CommandFailure: UserFacingError, Sendable {
    public var messages: [String]
    public var exitStatus: ExitStatus

    public init(_ message: String, _ status: ExitStatus) {
        self.messages = [message]
        self.exitStatus = status
    }

    /// Only an exit code, after a summary that has said what happened.
    public init(exitStatus: ExitStatus) {
        self.messages = []
        self.exitStatus = exitStatus
    }

    public var description: String { messages.joined(separator: "\n") }
}
