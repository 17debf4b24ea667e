import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// How the simulator behaves.
public struct SimulatorConfiguration: Sendable {
    /// The key both APIs require; requests without it get 401. nil accepts any.
    public var apiKey: String?
    /// Added before every answer, as a real vendor's round trip.
    public var latency: Duration
    public var faults: FaultPlan
    /// API requests per second served; above it, 429 with `Retry-After`. nil: no limit.
    public var rateLimit: Double?
    /// The server stops itself after this long, so no test can leave it running.
    public var maxLifetime: Duration
    /// How long a signed storage link works after the Get Call that issued it.
    /// nil: links carry a far-future expiry, so bodies are byte-for-byte deterministic.
    public var recordingLinkLifetime: Duration?
    /// Every recording's size in bytes; nil: 100 KB to 3 MB, by call.
    public var recordingSize: Int?
    /// Recordings are sent at most this fast; nil: as fast as the socket takes them.
    public var recordingBytesPerSecond: Int?
    /// How many calls List Calls knows: the sample IDs 1…n of each vendor.
    public var listedCalls: Int
    /// A broken vendor: the page after this many points back (PureTalk) or repeats its cursor (PuppeteerAI).
    public var listingLoopAfterPage: Int?

    public init(apiKey: String? = "sim-key", latency: Duration = .zero, faults: FaultPlan = .none,
                rateLimit: Double? = nil, maxLifetime: Duration = .seconds(600), recordingLinkLifetime: Duration? = nil,
                recordingSize: Int? = nil, recordingBytesPerSecond: Int? = nil, listedCalls: Int = 1000,
                listingLoopAfterPage: Int? = nil) {
        self.apiKey = apiKey
        self.latency = latency
        self.faults = faults
        self.rateLimit = rateLimit
        self.maxLifetime = maxLifetime
        self.recordingLinkLifetime = recordingLinkLifetime
        self.recordingSize = recordingSize
        self.recordingBytesPerSecond = recordingBytesPerSecond
        self.listedCalls = listedCalls
        self.listingLoopAfterPage = listingLoopAfterPage
    }
}

/// A vendor simulator speaking PureTalk's and PuppeteerAI's APIs over real
/// HTTP/1.1 on 127.0.0.1, with deterministic calls and injected faults:
/// Get Call, List Calls, and recordings.
///
/// PureTalk lives under `/puretalk/api`, PuppeteerAI under `/puppeteer`; use
/// `baseURL(for:)` as the client's base URL. A second listener, on another
/// port, plays the vendors' storage host: signed recording URLs point there,
/// and it never needs (or should see) an API key.
public final class SimulatorServer: Sendable {
    public let port: Int
    /// The storage host's port.
    public let storagePort: Int
    private let channels: [any Channel]
    private let core: SimulatorCore

    private init(api: any Channel, storage: any Channel, core: SimulatorCore) {
        self.channels = [api, storage]
        self.core = core
        self.port = api.localAddress?.port ?? 0
        self.storagePort = storage.localAddress?.port ?? 0
    }

    /// Starts a server on `port` of 127.0.0.1 (0: an ephemeral one), and its storage host on an ephemeral port.
    public static func start(_ configuration: SimulatorConfiguration = .init(), port: Int = 0) async throws -> SimulatorServer {
        let core = SimulatorCore(configuration: configuration)
        let storage = try await bind(core: core, role: .storage, port: 0)
        let api = try await bind(core: core, role: .api, port: port)
        let server = SimulatorServer(api: api, storage: storage, core: core)
        core.state.withLock { $0.ports = (api: server.port, storage: server.storagePort) }
        for channel in server.channels {
            channel.eventLoop.scheduleTask(in: TimeAmount(configuration.maxLifetime)) { channel.close(promise: nil) }
        }
        return server
    }

    private static func bind(core: SimulatorCore, role: ListenerRole, port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(SimulatorHandler(core: core, role: role))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    public func baseURL(for vendor: SimulatedVendor) -> String {
        "http://127.0.0.1:\(port)\(vendor.basePath)"
    }

    /// The Get Call body this server sends for `id` now (its recording links point at this server).
    public func body(_ vendor: SimulatedVendor, id: String) -> String? {
        CallFactory.body(vendor, id: id, links: core.links())
    }

    /// How many Get Call requests arrived for `id`, faulty or not.
    public func requestCount(_ vendor: SimulatedVendor, id: String) -> Int {
        core.state.withLock { $0.attempts["\(vendor.rawValue):\(id)"] ?? 0 }
    }

    /// How many recording requests arrived for `id`, on either host.
    public func recordingRequestCount(_ vendor: SimulatedVendor, id: String) -> Int {
        core.state.withLock { $0.attempts[SimulatorCore.recordingKey(vendor, id)] ?? 0 }
    }

    /// How many List Calls requests arrived for one page (`"1"` for the first, else its token).
    public func listRequestCount(_ vendor: SimulatedVendor, page: String) -> Int {
        core.state.withLock { $0.attempts[SimulatorCore.listKey(vendor, page: page)] ?? 0 }
    }

    /// Get Call requests, faulty or not.
    public var totalRequests: Int { core.state.withLock { $0.total } }
    public var faultsServed: Int { core.state.withLock { $0.faults } }
    /// Requests answered 429 because they exceeded `rateLimit`.
    public var rateLimited: Int { core.state.withLock { $0.rateLimited } }
    /// List Calls requests, faulty or not.
    public var listRequests: Int { core.state.withLock { $0.listRequests } }
    /// Recording bytes sent in full answers, on either host.

    /// Header values of every API request received, for tests that check where a key went.
    public var receivedHeaderValues: [String] { core.state.withLock { $0.headerValues } }
    /// Header values of every request the storage host received.
    public var storageHeaderValues: [String] { core.state.withLock { $0.storageHeaderValues } }
    /// Requests the storage host received.
    public var storageRequests: Int { core.state.withLock { $0.storageRequests } }

    /// Moves the simulator's clock forward, so signed links issued before now expire
    /// without a test having to wait.
    public func advanceClock(by duration: Duration) {
        core.state.withLock { $0.clockOffset += Int(duration.components.seconds) }
    }

    public func stop() async {
        for channel in channels { try? await channel.close() }
    }
}

/// Which of the two listeners a connection arrived on.
enum ListenerRole: Sendable {
    case api
    case storage
}

/// One connection's HTTP handler: collects a request, then answers it as the core decides.
final class SimulatorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: SimulatorCore
    private let role: ListenerRole
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(core: SimulatorCore, role: ListenerRole) {
        self.core = core
        self.role = role
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            // Only List Calls bodies (Retell's POST) are read; a few kilobytes at most.
            if body.count < 64 * 1024 { body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        case .end:
            guard let head else { return }
            self.head = nil
            let (answer, delay) = core.answer(to: head, body: body, on: role)
            if delay > .zero {
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                    self.send(answer, head: head, context: context)
                }
            } else {
                send(answer, head: head, context: context)
            }
        }
    }

    private func send(_ answer: SimulatorCore.Answer, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch answer {
        case .respond(let status, let extra, let body):
            send(.bytes(status: status, headers: extra, body: Array(body.utf8)), head: head, context: context)
        case .bytes(let status, let extra, let body):
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            var headers = HTTPHeaders(extra)
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .reset:
            // SO_LINGER 0 makes close() send a TCP RST instead of a FIN.
            if let socket = context.channel as? any SocketOptionProvider {
                socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        case .truncated(let body):
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(String(body.prefix(body.count / 2)))
            let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.utf8.count))])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .stream(let contentType, var stream, let stopAfter, let bytesPerSecond):
            let headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(stream.size))])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            let chunkSize = 64 * 1024
            let pause = bytesPerSecond.map { TimeAmount.nanoseconds(Int64(Double(chunkSize) / Double($0) * 1e9)) }
            // Writes one chunk, and the next only once the socket has taken it,
            // so a slow reader holds one chunk here, not the recording.
            func writeNext() {
                guard context.channel.isActive else { return }
                if let stopAfter, stream.offset >= stopAfter {
                    context.close(promise: nil)  // a connection dropped mid-recording
                    return
                }
                let limit = stopAfter.map { min(chunkSize, $0 - stream.offset) } ?? chunkSize
                guard let chunk = stream.next(upTo: limit) else {
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                var buffer = context.channel.allocator.buffer(capacity: chunk.count)
                buffer.writeBytes(chunk)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenSuccess {
                    if let pause {
                        context.eventLoop.assumeIsolated().scheduleTask(in: pause) { writeNext() }
                    } else {
                        context.eventLoop.assumeIsolated().execute { writeNext() }  // not recursion: the stack stays flat
                    }
                }
            }
            writeNext()
        }
    }
}
