import Synchronization
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTPCompression

/// How fetching one call ended.
public enum FetchOutcome: Sendable {
    case archived(NormalizedCall)
    case failed(SyncFailure)
    /// Every attempt met a 5xx, 429, timeout or network error: the vendor, not
    /// this call, is the problem. The sync stops after enough of these in a row.
    case unavailable(SyncFailure)
    /// 401/403: the key is wrong, and every further request would fail the same way.
    case authRejected(status: Int)
    /// The run is stopping; nothing to record.
    case cancelled
}

/// Fetches one call with retries, and decides what each answer means.
struct CallFetcher: Sendable {
    let client: VendorClient
    let adapter: any VendorAdapter
    let policy: RetryPolicy
    let logger: Logger
    let events: SyncEvents
    /// When each request may go out; backs off on HTTP 429.
    let governor: RequestGovernor

    func fetch(_ id: String) async -> FetchOutcome {
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { return .cancelled }
            let verdict = await attemptOnce(id)
            let retryAfter: Duration?
            let lastError: Refusal
            switch verdict {
            case .done(let outcome):
                return outcome
            case .giveUp(let refusal):
                return .failed(failure(id, refusal, attempts: attempt))
            case .retry(let refusal, let after):
                retryAfter = after
                lastError = refusal
            }
            guard attempt < policy.maxAttempts else {
                var last = lastError
                last.message += " (gave up after \(attempt) attempts)"
                return .unavailable(failure(id, last, attempts: attempt))
            }
            let (delay, capped) = policy.delay(afterAttempt: attempt, retryAfter: retryAfter)
            if capped {
                events.retryAfterCapped()
                logger.warning("\(id.debugDescription): the vendor asked to wait longer than \(policy.retryAfterCeiling); waiting \(delay) instead")
            }
            logger.debug("\(id.debugDescription): attempt \(attempt) failed (\(lastError.message)); retrying in \(delay)")
            do {
                try await Task.sleep(for: delay)
            } catch {
                return .cancelled
            }
        }
    }

    private enum Verdict {
        case done(FetchOutcome)
        case retry(Refusal, retryAfter: Duration?)
        case giveUp(Refusal)
    }

    /// Why one attempt did not archive the call.
    private struct Refusal {
        var status: Int?
        var message: String
        /// A 2xx body that was refused, kept for `sync_failures.response_body`.
        var body: String? = nil
    }

    /// Sends one request when the governor allows, and tells it how the request went.
    private func request(_ id: String) async throws -> VendorAnswer {
        let ticket = try await governor.admit()
        var signal = RequestGovernor.Signal.neutral
        defer { governor.finish(ticket, signal) }
        events.requestSent()
        let answer = try await client.getCall(id)
        signal = answer.status == 429 ? .throttled : (200...299).contains(answer.status) ? .served : .neutral
        return answer
    }

    private func attemptOnce(_ id: String) async -> Verdict {
        let answer: VendorAnswer
        do {
            answer = try await request(id)
        } catch is CancellationError {
            return .done(.cancelled)
        } catch is NIOTooManyBytesError {
            return .giveUp(Refusal(message: "response larger than \(client.maxBodyBytes) bytes, the cap for one call"))
        } catch NIOHTTPDecompression.DecompressionError.limit {
            return .giveUp(Refusal(message: "compressed response inflates past \(client.maxBodyBytes) bytes, the cap for one call"))
        } catch let error as HTTPClientError {
            if Task.isCancelled { return .done(.cancelled) }
            return .retry(Refusal(message: Self.describe(error)), retryAfter: nil)
        } catch {
            if Task.isCancelled { return .done(.cancelled) }
            return .retry(Refusal(message: client.redact("network error: \(error)")), retryAfter: nil)
        }

        switch answer.status {
        case 200...299:
            guard let body = String(validating: answer.body, as: UTF8.self) else {
                return .retry(Refusal(status: answer.status, message: "response is not UTF-8 text"), retryAfter: nil)
            }
            do {
                return .done(.archived(try adapter.decode(body: body, requestedID: id)))
            } catch {
                let refusal = Refusal(status: answer.status, message: client.redact(error.description), body: client.redact(body))
                return error.isRetryable ? .retry(refusal, retryAfter: nil) : .giveUp(refusal)
            }
        case 401, 403:
            return .done(.authRejected(status: answer.status))
        case 404:
            return .giveUp(Refusal(status: 404, message: "not found (HTTP 404): \(client.provider.displayName) has no call with this ID"))
        case 408, 429, 500...599:
            return .retry(Refusal(status: answer.status, message: "HTTP \(answer.status)\(snippet(answer.body))"),
                          retryAfter: RetryPolicy.parseRetryAfter(answer.retryAfter))
        case 300...399:
            let target = answer.location.flatMap { URL(string: $0)?.host } ?? "an unknown location"
            return .giveUp(Refusal(
                status: answer.status,
                message: "HTTP \(answer.status) redirect to \(client.redact(target)) not followed, so the API key stays with \(client.baseURL.host); check --base-url"))
        default:
            return .giveUp(Refusal(status: answer.status, message: "HTTP \(answer.status)\(snippet(answer.body))"))
        }
    }

    /// `: ` and an excerpt of the error body, for `sync_failures.error`.
    private func snippet(_ body: [UInt8]) -> String {
        body.isEmpty ? "" : ": " + client.excerpt(body)
    }

    private func failure(_ id: String, _ refusal: Refusal, attempts: Int) -> SyncFailure {
        SyncFailure(provider: client.provider, callID: id, httpStatus: refusal.status, error: refusal.message,
                    attempts: attempts, responseBody: refusal.body)
    }

    static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .readTimeout, .deadlineExceeded: "timed out waiting for the vendor"
        case .connectTimeout: "timed out connecting to the vendor"
        case .remoteConnectionClosed: "the vendor closed the connection"
        default: "network error: \(error)"
        }
    }
}

/// Counters the fetchers report into, shared across tasks.
final class SyncEvents: Sendable {
    private let state = Mutex(State())

    struct State {
        var requests = 0
        var retryAfterCapped = 0
    }

    func requestSent() { state.withLock { $0.requests += 1 } }
    func retryAfterCapped() { state.withLock { $0.retryAfterCapped += 1 } }
    var snapshot: State { state.withLock { $0 } }
}
