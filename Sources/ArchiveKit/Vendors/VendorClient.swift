import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP answer from a vendor, before any interpretation.
public struct VendorAnswer: Sendable {
    public var status: Int
    public var retryAfter: String?
    public var location: String?
    public var body: [UInt8]

    /// The body as text, or nil when it is not UTF-8: a 2xx body that is not
    /// text is refused (and retried), never decoded with replacement characters.
    public var text: String? { String(validating: body, as: UTF8.self) }
}

/// Speaks a vendor's Get Call and List Calls endpoints over async-http-client.
///
/// Redirects are never followed, so the API key is only ever sent to the
/// configured host; bodies are capped so a runaway answer cannot exhaust memory.
public final class VendorClient: Sendable {
    /// The largest Get Call body accepted. Real calls are tens of kilobytes; a
    /// very long call with word timings may reach a few megabytes.
    public static let defaultMaxBodyBytes = 32 * 1024 * 1024

    public let provider: Provider
    /// The vendor's API: its URLs, its auth header.
    let adapter: any VendorAdapter
    public let baseURL: BaseURL
    private let apiKey: String
    private let timeout: Duration
    /// The cap this client enforces on one body.
    public let maxBodyBytes: Int
    private let http: HTTPClient

    public init(provider: Provider, baseURL: BaseURL, apiKey: String, timeout: Duration, concurrency: Int,
                maxBodyBytes: Int = VendorClient.defaultMaxBodyBytes) {
        self.provider = provider
        self.adapter = provider.adapter
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        var configuration = HTTPClient.Configuration.vendor(timeout: timeout, concurrency: concurrency)
        configuration.decompression = .enabled(limit: .size(maxBodyBytes))
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The vendor's Get Call for `id`, with the key in its header.
    public func getCall(_ id: String) async throws -> VendorAnswer {
        try await get(adapter.callURL(id, base: baseURL))
    }

    /// Where a call's recording in `variant` is downloaded from, as its vendor
    /// decides: the mono one from the link its body carries (`bodyLink`, also
    /// `calls.recording_url`), a two-party one from a call just fetched.
    func recordingLink(_ variant: RecordingVariant, of call: NormalizedCall) -> String? {
        variant == .mono ? recordingLink(callID: call.callID, bodyLink: call.recordingURL) : twoPartyRecording(of: call)?.link
    }

    func recordingLink(callID: String, bodyLink: String?) -> String? {
        adapter.recordingLink(callID: callID, bodyLink: bodyLink, base: baseURL)
    }

    func twoPartyRecording(of call: NormalizedCall) -> (variant: RecordingVariant, link: String)? {
        adapter.twoPartyRecording(of: call, base: baseURL)
    }

    /// GET a URL on the API (callers make sure it is on `baseURL`), with the key.
    func get(_ url: String) async throws -> VendorAnswer {
        try await send(PageRequest(url: url))
    }

    /// GET the request's URL, or POST its JSON body to it, with the key
    /// (callers make sure the URL is on `baseURL`).
    func send(_ page: PageRequest) async throws -> VendorAnswer {
        var request = HTTPClientRequest(url: page.url)
        request.method = .GET
        if let body = page.body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        addKey(to: &request.headers)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "archive/\(ArchiveVersion.current)")
        let response = try await http.execute(request, timeout: TimeAmount(timeout))
        var buffer = try await response.body.collect(upTo: maxBodyBytes)
        return VendorAnswer(
            status: Int(response.status.code),
            retryAfter: response.headers.first(name: "Retry-After"),
            location: response.headers.first(name: "Location"),
            body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// Puts the key in the provider's header. The client is the key's only
    /// holder; callers add it only for URLs on `baseURL`'s origin.
    func addKey(to headers: inout HTTPHeaders) {
        let header = adapter.authorization(apiKey: apiKey)
        headers.add(name: header.name, value: header.value)
    }

    /// The most bytes of an error body quoted in a message.
    static let excerptBytes = 200

    /// A short, single-line, key-free excerpt of an error body, for error
    /// messages and the failure tables; empty for an empty body. The whole
    /// text is redacted before it is cut, so a key that straddles the cut
    /// cannot leave its first characters behind.
    func excerpt(_ body: some Collection<UInt8>) -> String {
        var text = ""
        var bytes = 0
        for scalar in redact(String(decoding: body, as: UTF8.self)).unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > Self.excerptBytes { break }
            let lineBreakOrControl = scalar.value < 0x20 || [0x7F, 0x85, 0x2028, 0x2029].contains(scalar.value)
            text.unicodeScalars.append(lineBreakOrControl ? " " : scalar)
        }
        return text.trimmingWhitespace()
    }

    /// Removes the API key from text that may echo it (a vendor error page, say),
    /// so it can never reach a message, a log or the database.
    public func redact(_ text: String) -> String {
        apiKey.isEmpty ? text : text.replacingOccurrences(of: apiKey, with: "[redacted]")
    }

    public func shutdown() async {
        try? await http.shutdown()
    }
}

extension HTTPClient.Configuration {
    /// What every client of a vendor's hosts (its API, its recordings) is made
    /// with: redirects are the caller's to follow, `timeout` is the longest
    /// silence while reading, and a connection that cannot be made fails its
    /// request at once. AsyncHTTPClient would otherwise connect again, with
    /// backoff, until the request's deadline, so each attempt against a host
    /// that refuses took the whole `--timeout`; the sync's own retries
    /// (`RetryExecutor`) decide how often to try again.
    static func vendor(timeout: Duration, concurrency: Int) -> Self {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: TimeAmount(timeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, concurrency)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }
}

public enum ArchiveVersion {
    public static let current = "0.1.0"
}
