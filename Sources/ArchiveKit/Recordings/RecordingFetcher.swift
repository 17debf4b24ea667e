import AsyncHTTPClient
import Foundation
import Logging

/// How archiving one recording ended.
enum RecordingOutcome: Sendable {
    case archived(RecordingRow)
    case failed(RecordingFailure)
    /// The recordings directory cannot be written (a full disk): the run stops.
    case storageFailed(String)
    case cancelled
}

/// Archives one call's recording: download with retries like Get Call, and
/// when a signed link has expired (403/404 from storage), one fresh Get Call
/// for a new link, one more try with it, then a recorded failure.
struct RecordingFetcher: Sendable {
    let downloader: RecordingDownloader
    let store: RecordingStore
    let policy: RetryPolicy
    let logger: Logger
    /// A new Get Call for the call's current recording link.
    let freshLink: @Sendable (String) async -> String?

    func fetch(callID: String, link: String) async -> RecordingOutcome {
        let file: RecordingTempFile
        do {
            file = try store.makeTempFile()
        } catch {
            return .storageFailed(error.description)
        }
        var committed = false
        defer { if !committed { file.discard() } }

        var link = link
        var refreshed = false
        var attempt = 0, attempts = 0
        func failure(_ message: String, status: Int? = nil) -> RecordingOutcome {
            .failed(RecordingFailure(provider: downloader.provider, callID: callID, httpStatus: status,
                                     error: message, attempts: attempts))
        }
        while true {
            attempt += 1
            attempts += 1
            if Task.isCancelled { return .cancelled }
            var retryAfter: Duration? = nil
            var lastError: String
            var lastStatus: Int? = nil
            do {
                switch try await downloader.download(link, into: file) {
                case .complete(let sha256, let size, let contentType, let url):
                    let name = try store.commit(file, sha256: sha256, contentType: contentType)
                    committed = true
                    return .archived(RecordingRow(provider: downloader.provider, callID: callID, sha256: sha256, size: size,
                                                  contentType: contentType, file: name, sourceURL: url))
                case .refused(let status, let after, let detail, let fromAPIHost):
                    let said = detail.isEmpty ? "" : ": " + detail
                    switch status {
                    case 403 where !fromAPIHost, 404 where !fromAPIHost:
                        if refreshed {
                            return failure("the recording link was refused (HTTP \(status)\(said)), and so was the new one from a fresh Get Call",
                                           status: status)
                        }
                        refreshed = true
                        logger.debug("\(callID.debugDescription): recording link refused (HTTP \(status)); asking for a new one")
                        guard let fresh = await freshLink(callID) else {
                            return failure("the recording link was refused (HTTP \(status)\(said)) and a fresh Get Call gave no new link",
                                           status: status)
                        }
                        link = fresh
                        attempt = 0
                        continue
                    case 404:
                        return failure("no recording (HTTP 404\(said))", status: status)
                    case 401, 403:
                        return failure("\(downloader.provider.displayName) refused the API key for this recording (HTTP \(status)\(said))",
                                       status: status)
                    case 408, 429, 500...599:
                        lastError = "HTTP \(status)\(said)"
                        lastStatus = status
                        retryAfter = RetryPolicy.parseRetryAfter(after)
                    default:
                        return failure("HTTP \(status)\(said)", status: status)
                    }
                }
            } catch let error as RecordingStoreError {
                return .storageFailed(error.description)
            } catch let error as DownloadError {
                guard error.isRetryable else { return failure(error.description) }
                lastError = error.description
            } catch is CancellationError {
                return .cancelled
            } catch let error as HTTPClientError {
                if Task.isCancelled { return .cancelled }
                lastError = downloader.api.redact(CallFetcher.describe(error))
            } catch {
                if Task.isCancelled { return .cancelled }
                lastError = downloader.api.redact("network error: \(error)")
            }
            guard attempt < policy.maxAttempts else {
                return failure("\(lastError) (gave up after \(attempt) attempts)", status: lastStatus)
            }
            let (delay, _) = policy.delay(afterAttempt: attempt, retryAfter: retryAfter)
            logger.debug("\(callID.debugDescription): recording attempt \(attempt) failed (\(lastError)); retrying in \(delay)")
            do {
                try await Task.sleep(for: delay)
            } catch {
                return .cancelled
            }
        }
    }
}
