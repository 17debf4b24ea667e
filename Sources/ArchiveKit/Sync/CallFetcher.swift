import Foundation
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

/// Fetches one call through the retry executor, and decides what each answer means.
struct CallFetcher: Sendable {
    let client: VendorClient
    let retry: RetryExecutor
    /// When each request may go out; backs off on HTTP 429.
    let governor: RequestGovernor

    func fetch(_ id: String) async -> FetchOutcome {
        switch await retry.run(id.debugDescription, { try await attemptOnce(id) }) {
        case .done(let outcome, _): outcome
        case .failed(let refusal, let attempts): .failed(failure(id, refusal, attempts: attempts))
        case .exhausted(let refusal, let attempts): .unavailable(failure(id, refusal.gaveUp(after: attempts), attempts: attempts))
        case .cancelled: .cancelled
        }
    }

    /// Sends one request when the governor allows, and tells it how the request went.
    private func request(_ id: String) async throws -> VendorAnswer {
        let ticket = try await governor.admit()
        var signal = RequestGovernor.Signal.neutral
        defer { governor.finish(ticket, signal) }
        retry.events.requestSent()
        let answer = try await client.getCall(id)
        signal = switch answer.status {
        case 429: .throttled
        case 401, 403: .rejected
        case 200...299: .served
        default: .neutral
        }
        return answer
    }

    private func attemptOnce(_ id: String) async throws -> AttemptVerdict<FetchOutcome, Refusal> {
        let answer: VendorAnswer
        do {
            answer = try await request(id)
        } catch is NIOTooManyBytesError {
            return .fail(Refusal(message: "response larger than \(client.maxBodyBytes) bytes, the cap for one call"))
        } catch NIOHTTPDecompression.DecompressionError.limit {
            return .fail(Refusal(message: "compressed response inflates past \(client.maxBodyBytes) bytes, the cap for one call"))
        }

        switch answer.status {
        case 200...299:
            guard let body = answer.text else {
                return .retry(Refusal(message: "response is not UTF-8 text", status: answer.status))
            }
            do {
                return .done(.archived(try client.adapter.decode(body: body, requestedID: id)))
            } catch {
                let refusal = Refusal(message: client.redact(error.description), status: answer.status, body: client.redact(body))
                return error.isRetryable ? .retry(refusal) : .fail(refusal)
            }
        case 401, 403:
            return .done(.authRejected(status: answer.status))
        case 404:
            return .fail(Refusal(message: "not found (HTTP 404): \(client.provider.displayName) has no call with this ID", status: 404))
        case let status where RetryExecutor.isTransient(status):
            return .retry(Refusal(message: "HTTP \(status)\(snippet(answer.body))", status: status, retryAfter: answer.retryAfter))
        case 300...399:
            let target = answer.location.flatMap { URL(string: $0)?.host } ?? "an unknown location"
            return .fail(Refusal(
                message: "HTTP \(answer.status) redirect to \(client.redact(target)) not followed, so the API key stays with \(client.baseURL.host); check --base-url",
                status: answer.status))
        default:
            return .fail(Refusal(message: "HTTP \(answer.status)\(snippet(answer.body))", status: answer.status))
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
}
