import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// How one download attempt ended, when the server answered.
enum DownloadAnswer: Sendable {
    /// The bytes are in the temp file, whole.
    struct Complete: Sendable {
        var sha256: String
        var size: Int
        var contentType: String?
        /// Where the bytes came from, after redirects.
        var url: String
    }

    case complete(Complete)
    /// Not 2xx. `fromAPIHost` tells an API refusal from a storage one (an expired link).
    case refused(status: Int, retryAfter: String?, detail: String, fromAPIHost: Bool)
}

/// Why a download attempt stopped before an answer was complete.
enum DownloadError: Error, Sendable, CustomStringConvertible {
    case unsafeURL(String)
    case tooManyRedirects(Int)
    case truncated(expected: Int, received: Int)
    case tooLarge(Int)
    case notAudio(String)

    var description: String {
        switch self {
        case .unsafeURL(let reason): reason
        case .tooManyRedirects(let count): "more than \(count) redirects"
        case .truncated(let expected, let received): "the connection ended after \(received) of \(expected) bytes"
        case .tooLarge(let cap): "the recording is larger than \(cap) bytes, the cap for one recording"
        case .notAudio(let type): "the server sent \(type), not a recording"
        }
    }

    var isRetryable: Bool {
        switch self {
        case .truncated, .notAudio: true
        case .unsafeURL, .tooManyRedirects, .tooLarge: false
        }
    }
}

/// Streams recordings to disk over async-http-client, hashing as it writes.
///
/// It has its own HTTP client (no decompression, no body cap but its own, a
/// read timeout that bounds silence rather than the download), but not the
/// key: `VendorClient` holds that, and adds it on request. The API key goes
/// only to the vendor API's own origin (scheme, host and
/// port of `--base-url`): PureTalk's recording path gets it; a signed storage
/// URL elsewhere does not, nor does any redirect off the API host. Redirects
/// are followed here, hop by hop, so that rule holds on each one.
final class RecordingDownloader: Sendable {
    /// The largest recording accepted: about 12 hours of 16-bit stereo at 22 kHz.
    static let maxBytes = 2 << 30
    static let maxRedirects = 5

    /// The API's client: its origin, its key, and redaction.
    let api: VendorClient
    private let http: HTTPClient

    var provider: Provider { api.provider }

    init(api: VendorClient, timeout: Duration, concurrency: Int) {
        self.api = api
        let configuration = HTTPClient.Configuration.vendor(timeout: timeout, concurrency: concurrency)
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Downloads `link` into `file` (emptied first), following redirects.
    func download(_ link: String, into file: RecordingTempFile) async throws -> DownloadAnswer {
        var url = link
        for _ in 0...Self.maxRedirects {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                  let host = components.host, !host.isEmpty
            else { throw DownloadError.unsafeURL("the recording link is not an absolute URL") }
            guard scheme == "https" || (scheme == "http" && BaseURL.isLoopback(host)) else {
                throw DownloadError.unsafeURL("the recording link uses \(scheme)://\(host); only https:// (or http:// to this machine) is fetched")
            }
            let apiHost = api.baseURL.isSameOrigin(components)
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            if apiHost { api.addKey(to: &request.headers) }
            request.headers.add(name: "User-Agent", value: "archive/\(ArchiveVersion.current)")
            let response = try await http.execute(request, deadline: .now() + .hours(2))
            let status = Int(response.status.code)
            if (300...399).contains(status), let location = response.headers.first(name: "Location") {
                _ = try? await response.body.collect(upTo: 64 * 1024)
                guard let next = URL(string: location, relativeTo: URL(string: url))?.absoluteString else {
                    throw DownloadError.unsafeURL("a redirect to an unreadable location")
                }
                url = next
                continue
            }
            guard (200...299).contains(status) else {
                let detail = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
                return .refused(status: status, retryAfter: response.headers.first(name: "Retry-After"),
                                detail: api.excerpt(detail.readableBytesView), fromAPIHost: apiHost)
            }
            let contentType = response.headers.first(name: "Content-Type")
            if let type = contentType?.lowercased(), type.hasPrefix("text/") || type.contains("json") || type.contains("xml") {
                _ = try? await response.body.collect(upTo: 64 * 1024)
                throw DownloadError.notAudio(type)
            }
            let expected = response.headers.first(name: "Content-Length").flatMap(Int.init)
            if let expected, expected > Self.maxBytes { throw DownloadError.tooLarge(Self.maxBytes) }
            try file.truncate()
            var hasher = SHA256()
            var size = 0
            for try await buffer in response.body {
                size += buffer.readableBytes
                if size > Self.maxBytes { throw DownloadError.tooLarge(Self.maxBytes) }
                try buffer.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try file.write(bytes)
                }
            }
            if let expected, expected != size { throw DownloadError.truncated(expected: expected, received: size) }
            let digest = hasher.finalize().hex
            return .complete(.init(sha256: digest, size: size, contentType: contentType, url: url))
        }
        throw DownloadError.tooManyRedirects(Self.maxRedirects)
    }

    func shutdown() async {
        try? await http.shutdown()
    }
}
