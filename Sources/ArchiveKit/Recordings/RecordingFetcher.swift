import Foundation

/// How archiving one recording ended.
enum RecordingOutcome: Sendable {
    case archived(RecordingRow)
    case failed(RecordingFailure)
    /// The recordings directory cannot be written (a full disk): the run stops.
    case storageFailed(String)
    case cancelled
}

/// Archives one call's recording: download through the retry executor, like
/// Get Call, and when a signed link has expired (403/404 from storage), one
/// fresh Get Call for a new link, one more round with it, then a recorded failure.
struct RecordingFetcher: Sendable {
    let downloader: RecordingDownloader
    let store: RecordingStore
    let retry: RetryExecutor
    /// A new Get Call for the call's current recording link in a variant.
    let freshLink: @Sendable (String, RecordingVariant) async -> String?

    /// Why a download will not succeed by asking the same link again.
    private enum Stop {
        /// 403/404 from a host other than the API's: the signed link has expired.
        case expiredLink(status: Int, detail: String)
        case refused(Refusal)
        case storage(String)
    }

    func fetch(callID: String, variant: RecordingVariant = .mono, link: String) async -> RecordingOutcome {
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
        var spent = 0
        func failure(_ refusal: Refusal) -> RecordingOutcome {
            .failed(RecordingFailure(provider: downloader.provider, callID: callID, variant: variant, httpStatus: refusal.status,
                                     error: refusal.message, attempts: spent))
        }
        while true {
            let subject = variant == .mono ? "recording" : "\(variant.rawValue) recording"
            let result = await retry.run("\(callID.debugDescription) \(subject)") { try await attempt(link, into: file) }
            switch result {
            case .done(let answer, let attempts):
                spent += attempts
                do {
                    let name = try store.commit(file, sha256: answer.sha256, contentType: answer.contentType)
                    committed = true
                    return .archived(RecordingRow(provider: downloader.provider, callID: callID, variant: variant, sha256: answer.sha256,
                                                  size: answer.size, contentType: answer.contentType, file: name, sourceURL: answer.url))
                } catch {
                    return .storageFailed(error.description)
                }
            case .exhausted(let refusal, let attempts):
                spent += attempts
                return failure(refusal.gaveUp(after: attempts))
            case .failed(.refused(let refusal), let attempts):
                spent += attempts
                return failure(refusal)
            case .failed(.storage(let message), _):
                return .storageFailed(message)
            case .failed(.expiredLink(let status, let detail), let attempts):
                spent += attempts
                let said = detail.isEmpty ? "" : ": " + detail
                if refreshed {
                    return failure(Refusal(message: "the recording link was refused (HTTP \(status)\(said)), and so was the new one from a fresh Get Call",
                                           status: status))
                }
                refreshed = true
                retry.logger.debug("\(callID.debugDescription): recording link refused (HTTP \(status)); asking for a new one")
                guard let fresh = await freshLink(callID, variant) else {
                    return failure(Refusal(message: "the recording link was refused (HTTP \(status)\(said)) and a fresh Get Call gave no new link",
                                           status: status))
                }
                link = fresh
            case .cancelled:
                return .cancelled
            }
        }
    }

    /// One download attempt, and what its answer means.
    private func attempt(_ link: String, into file: RecordingTempFile) async throws -> AttemptVerdict<DownloadAnswer.Complete, Stop> {
        let answer: DownloadAnswer
        do {
            answer = try await downloader.download(link, into: file)
        } catch let error as RecordingStoreError {
            return .fail(.storage(error.description))
        } catch let error as DownloadError {
            return error.isRetryable ? .retry(Refusal(message: error.description)) : .fail(.refused(Refusal(message: error.description)))
        }
        switch answer {
        case .complete(let complete):
            return .done(complete)
        case .refused(let status, let retryAfter, let detail, let fromAPIHost):
            let said = detail.isEmpty ? "" : ": " + detail
            switch status {
            case 403 where !fromAPIHost, 404 where !fromAPIHost:
                return .fail(.expiredLink(status: status, detail: detail))
            case 404:
                return .fail(.refused(Refusal(message: "no recording (HTTP 404\(said))", status: status)))
            case 401, 403:
                return .fail(.refused(Refusal(
                    message: "\(downloader.provider.displayName) refused the API key for this recording (HTTP \(status)\(said))", status: status)))
            case let status where RetryExecutor.isTransient(status):
                return .retry(Refusal(message: "HTTP \(status)\(said)", status: status, retryAfter: retryAfter))
            default:
                return .fail(.refused(Refusal(message: "HTTP \(status)\(said)", status: status)))
            }
        }
    }
}
