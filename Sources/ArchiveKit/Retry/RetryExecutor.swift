import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Why one attempt did not succeed, for the log, the failure tables and the next wait.
struct Refusal: Sendable {
    var message: String
    var status: Int? = nil
    /// The answer's `Retry-After` header as sent (seconds or an HTTP date).
    var retryAfter: String? = nil
    /// A 2xx body that was refused, kept for `sync_failures.response_body`.
    var body: String? = nil

    /// The message with how many attempts were spent on it.
    func gaveUp(after attempts: Int) -> Refusal {
        var out = self
        out.message += " (gave up after \(attempts) attempts)"
        return out
    }
}

/// The caller's verdict on one attempt's answer.
enum AttemptVerdict<Value, Failure> {
    case done(Value)
    /// Worth asking again (a 5xx, a 429, a page cut short); `Refusal.retryAfter` is obeyed up to the cap.
    case retry(Refusal)
    /// Asking again would give the same answer.
    case fail(Failure)
}

/// How a run of attempts ended.
enum RetryResult<Value, Failure> {
    case done(Value, attempts: Int)
    case failed(Failure, attempts: Int)
    /// Every attempt was worth retrying and none succeeded; the last attempt's refusal.
    case exhausted(Refusal, attempts: Int)
    case cancelled
}

extension AttemptVerdict: Sendable where Value: Sendable, Failure: Sendable {}
extension RetryResult: Sendable where Value: Sendable, Failure: Sendable {}

/// The one retry loop of the archive: Get Call, List Calls pages and
/// recordings all run through it, so they cannot drift apart.
///
/// It owns what is the same for every request: the attempt count, task
/// cancellation, network errors (retried), `Retry-After` and its ceiling
/// (counted when it had to be cut), backoff with jitter, logging and sleeping.
/// The caller owns only what differs: how to send one attempt, and what its
/// answer means (`AttemptVerdict`).
struct RetryExecutor: Sendable {
    let policy: RetryPolicy
    let logger: Logger
    let events: RequestEvents
    /// Removes the API key from error text (a network error may quote a request).
    let redact: @Sendable (String) -> String

    /// Whether an HTTP status says "not now" rather than "no": 408, 429 and 5xx.
    static func isTransient(_ status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// Runs `attempt` until it is done, fails, or runs out of attempts.
    /// `subject` names what is asked for in the log (`"abc-123"`, `List Calls page 3`).
    /// An error thrown by `attempt` is a network failure and is retried,
    /// unless the task was cancelled.
    func run<Value, Failure>(_ subject: @autoclosure () -> String,
                             isolation: isolated (any Actor)? = #isolation,
                             _ attempt: () async throws -> AttemptVerdict<Value, Failure>) async -> RetryResult<Value, Failure> {
        var attempts = 0
        while true {
            attempts += 1
            if Task.isCancelled { return .cancelled }
            let verdict: AttemptVerdict<Value, Failure>
            do {
                verdict = try await attempt()
            } catch {
                if error is CancellationError || Task.isCancelled { return .cancelled }
                verdict = .retry(Refusal(message: redact(Self.describe(error))))
            }
            let refusal: Refusal
            switch verdict {
            case .done(let value): return .done(value, attempts: attempts)
            case .fail(let failure): return .failed(failure, attempts: attempts)
            case .retry(let reason): refusal = reason
            }
            guard attempts < policy.maxAttempts else { return .exhausted(refusal, attempts: attempts) }
            let (delay, capped) = policy.delay(afterAttempt: attempts, retryAfter: RetryPolicy.parseRetryAfter(refusal.retryAfter))
            if capped {
                events.retryAfterCapped()
                logger.warning("\(subject()): the vendor asked to wait longer than \(policy.retryAfterCeiling); waiting \(delay) instead")
            }
            logger.debug("\(subject()): attempt \(attempts) failed (\(refusal.message)); retrying in \(delay)")
            do {
                try await Task.sleep(for: delay)
            } catch {
                return .cancelled
            }
        }
    }

    /// A network error in words, for `sync_failures.error` and the log.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError { return describe(error) }
        if (error as? IOError)?.errnoCode == ECONNREFUSED { return refused("the vendor's address") }
        return switch error as? HTTPClientError {
        case .readTimeout?, .deadlineExceeded?: "timed out waiting for the vendor"
        case .connectTimeout?: "timed out connecting to the vendor"
        case .remoteConnectionClosed?: "the vendor closed the connection"
        default: "network error: \(error)"
        }
    }

    /// A connection that could not be made, with where to: the vendor's host
    /// refusing it (nothing listens there: a wrong `--base-url`, or the vendor
    /// down), a name that does not resolve, or another socket error.
    static func describe(_ error: NIOConnectionError) -> String {
        let place = "\(error.host):\(error.port)"
        if let dns = error.dnsAError ?? error.dnsAAAAError { return "could not look up \(error.host) (\(dns))" }
        let refused = !error.connectionErrors.isEmpty
            && error.connectionErrors.allSatisfy { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
        if refused { return Self.refused(place) }
        let reasons = error.connectionErrors.map { String(describing: $0.error) }
        return "could not connect to \(place)" + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))")
    }

    private static func refused(_ place: String) -> String {
        "the connection was refused: nothing listens at \(place) (is --base-url right? is the vendor up?)"
    }
}

/// What the requests of one run did, counted across tasks: requests sent, and
/// `Retry-After` waits cut to `--max-retry-after`.
public final class RequestEvents: Sendable {
    private let state = Mutex(State())

    public struct State: Sendable, Equatable {
        public var requests = 0
        public var retryAfterCapped = 0
    }

    public init() {}

    func requestSent() { state.withLock { $0.requests += 1 } }
    func retryAfterCapped() { state.withLock { $0.retryAfterCapped += 1 } }
    public var snapshot: State { state.withLock { $0 } }
}
