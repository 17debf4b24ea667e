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
    public let baseURL: BaseURL
    private let apiKey: String
    private let timeout: Duration
    /// The cap this client enforces on one body.
    public let maxBodyBytes: Int
    private let http: HTTPClient

    public init(provider: Provider, baseURL: BaseURL, apiKey: String, timeout: Duration, concurrency: Int,
                maxBodyBytes: Int = VendorClient.defaultMaxBodyBytes) {
        self.provider = provider
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: TimeAmount(timeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, concurrency)))
        configuration.decompression = .enabled(limit: .size(maxBodyBytes))
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// GET `{base}/calls/{id}` with the key in the provider's header.
    public func getCall(_ id: String) async throws -> VendorAnswer {
        try await get(baseURL.callURL(id))
    }

    /// GET a URL on the API (callers make sure it is on `baseURL`), with the key.
    func get(_ url: String) async throws -> VendorAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
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
        headers.add(name: provider.authHeaderName, value: apiKey)
    }

    /// A short, single-line, key-free excerpt of an error body, for error
    /// messages and the failure tables; empty for an empty body.
    func excerpt(_ body: some Collection<UInt8>) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .map { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true ? " " : String($0) }.joined()
        return redact(text.trimmingWhitespace())
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

public enum ArchiveVersion {
    public static let current = "0.1.0"
}
