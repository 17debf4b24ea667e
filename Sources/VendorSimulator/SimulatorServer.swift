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
    /// Get Call requests per second served; above it, 429 with `Retry-After`. nil: no limit.
    public var rateLimit: Double?
    /// The server stops itself after this long, so no test can leave it running.
    public var maxLifetime: Duration

    public init(apiKey: String? = "sim-key", latency: Duration = .zero, faults: FaultPlan = .none,
                rateLimit: Double? = nil, maxLifetime: Duration = .seconds(600)) {
        self.apiKey = apiKey
        self.latency = latency
        self.faults = faults
        self.rateLimit = rateLimit
        self.maxLifetime = maxLifetime
    }
}

/// A vendor simulator speaking PureTalk's and PuppeteerAI's Get Call APIs over
/// real HTTP/1.1 on 127.0.0.1, with deterministic calls and injected faults.
///
/// PureTalk lives under `/puretalk/api`, PuppeteerAI under `/puppeteer`; use
/// `baseURL(for:)` as the client's base URL.
public final class SimulatorServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let core: SimulatorCore

    private init(channel: any Channel, core: SimulatorCore) {
        self.channel = channel
        self.core = core
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts a server on an ephemeral port of 127.0.0.1.
    public static func start(_ configuration: SimulatorConfiguration = .init(), port: Int = 0) async throws -> SimulatorServer {
        let core = SimulatorCore(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(SimulatorHandler(core: core))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        let server = SimulatorServer(channel: channel, core: core)
        channel.eventLoop.scheduleTask(in: TimeAmount(configuration.maxLifetime)) {
            channel.close(promise: nil)
        }
        return server
    }

    public func baseURL(for vendor: SimulatedVendor) -> String {
        "http://127.0.0.1:\(port)\(vendor.basePath)"
    }

    /// How many Get Call requests arrived for `id`, faulty or not.
    public func requestCount(_ vendor: SimulatedVendor, id: String) -> Int {
        core.state.withLock { $0.attempts["\(vendor.rawValue):\(id)"] ?? 0 }
    }

    public var totalRequests: Int { core.state.withLock { $0.total } }
    public var faultsServed: Int { core.state.withLock { $0.faults } }
    /// Requests answered 429 because they exceeded `rateLimit`.
    public var rateLimited: Int { core.state.withLock { $0.rateLimited } }

    /// Header values of every request received, for tests that check where a key went.
    public var receivedHeaderValues: [String] { core.state.withLock { $0.headerValues } }

    public func stop() async {
        try? await channel.close()
    }
}

/// The simulator's shared state, touched from every connection's event loop.
final class SimulatorCore: Sendable {
    let configuration: SimulatorConfiguration
    let state = Mutex(State())

    struct State {
        var attempts: [String: Int] = [:]
        var randomFaults: [String: Int] = [:]
        var total = 0
        var faults = 0
        var rateLimited = 0
        var headerValues: [String] = []
        var bucket: TokenBucket?
    }

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        state.withLock { $0.bucket = configuration.rateLimit.map { TokenBucket(perSecond: $0) } }
    }

    enum Answer {
        case respond(status: HTTPResponseStatus, headers: [(String, String)], body: String)
        case bytes(status: HTTPResponseStatus, headers: [(String, String)], body: [UInt8])
        case reset
        case truncated(body: String)
    }

    /// Decides the answer to one request, and after how long.
    func answer(to head: HTTPRequestHead) -> (Answer, delay: Duration) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard let (vendor, encodedID) = route(path), let id = encodedID.removingPercentEncoding else {
            return (Self.json(.notFound, "{\"detail\": \"Not Found\"}"), configuration.latency)
        }
        let key = "\(vendor.rawValue):\(id)"
        let sentKey = head.headers.first(name: vendor.authHeader)
        let wait = state.withLock { state -> Duration? in
            guard let wait = state.bucket?.take() else { return nil }
            state.total += 1
            state.rateLimited += 1
            return wait
        }
        if let wait {
            let seconds = max(1, Int(TokenBucket.seconds(wait).rounded(.up)))  // Retry-After is whole seconds
            return (.respond(status: .tooManyRequests, headers: [("Retry-After", String(seconds)), ("Content-Type", "application/json")],
                             body: "{\"detail\": \"Rate limit exceeded\"}"), configuration.latency)
        }
        let (attempt, fault) = state.withLock { state -> (Int, Fault?) in
            state.total += 1
            state.headerValues.append(contentsOf: head.headers.map(\.value))
            let attempt = (state.attempts[key] ?? 0) + 1
            state.attempts[key] = attempt
            let decided = configuration.faults.fault(for: id, attempt: attempt, randomSoFar: state.randomFaults[key] ?? 0)
            if let decided {
                state.faults += 1
                if decided.random { state.randomFaults[key, default: 0] += 1 }
            }
            return (attempt, decided?.fault)
        }
        _ = attempt
        if let expected = configuration.apiKey, sentKey != expected {
            return (Self.error(vendor, .unauthorized, "Invalid API key"), configuration.latency)
        }
        if let fault { return faultAnswer(fault, vendor: vendor, id: id) }
        guard let body = CallFactory.body(vendor, id: id) else {
            return (Self.error(vendor, .notFound, "Call not found"), configuration.latency)
        }
        return (.respond(status: .ok, headers: [("Content-Type", "application/json")], body: body), configuration.latency)
    }

    private func route(_ path: String) -> (SimulatedVendor, String)? {
        for vendor in SimulatedVendor.allCases {
            let prefix = vendor.basePath + "/calls/"
            if path.hasPrefix(prefix) {
                let rest = String(path.dropFirst(prefix.count))
                return rest.isEmpty || rest.contains("/") ? nil : (vendor, rest)
            }
        }
        return nil
    }

    private func faultAnswer(_ fault: Fault, vendor: SimulatedVendor, id: String) -> (Answer, delay: Duration) {
        let latency = configuration.latency
        switch fault {
        case .serverError: return (Self.error(vendor, .internalServerError, "Internal Server Error"), latency)
        case .unavailable: return (Self.error(vendor, .serviceUnavailable, "Service Unavailable"), latency)
        case .tooManyRequests(let seconds):
            return (.respond(status: .tooManyRequests, headers: [("Retry-After", String(seconds)), ("Content-Type", "application/json")],
                             body: "{\"detail\": \"Too Many Requests\"}"), latency)
        case .connectionReset: return (.reset, latency)
        case .truncatedBody: return (.truncated(body: CallFactory.body(vendor, id: id) ?? "{\"detail\": \"Not Found\"}"), latency)
        case .slow(let seconds):
            let body = CallFactory.body(vendor, id: id) ?? "{}"
            return (.respond(status: .ok, headers: [("Content-Type", "application/json")], body: body), .milliseconds(Int64(seconds * 1000)))
        case .htmlErrorPage:
            return (.respond(status: .ok, headers: [("Content-Type", "text/html")],
                             body: "<html><body><h1>502 Bad Gateway</h1></body></html>"), latency)
        case .notFound: return (Self.error(vendor, .notFound, "Call not found"), latency)
        case .unauthorized: return (Self.error(vendor, .unauthorized, "Invalid API key"), latency)
        case .redirect(let location):
            return (.respond(status: .found, headers: [("Location", location)], body: ""), latency)
        case .raw(let status, let headers, let body):
            return (.bytes(status: HTTPResponseStatus(statusCode: status), headers: headers.sorted { $0.key < $1.key }, body: body), latency)
        }
    }

    /// Each vendor's error shape: PureTalk's `{err, msg}`, FastAPI's `{detail}` for PuppeteerAI.
    private static func error(_ vendor: SimulatedVendor, _ status: HTTPResponseStatus, _ message: String) -> Answer {
        switch vendor {
        case .puretalk: json(status, "{\"err\": true, \"msg\": \"\(message)\"}")
        case .puppeteer: json(status, "{\"detail\": \"\(message)\"}")
        }
    }

    private static func json(_ status: HTTPResponseStatus, _ body: String) -> Answer {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: body)
    }
}

/// A vendor's rate limit: `perSecond` tokens a second, with a burst of a tenth
/// of a second's worth, as API gateways commonly configure it.
struct TokenBucket {
    let perSecond: Double
    let capacity: Double
    var tokens: Double
    var refilled = ContinuousClock.now

    init(perSecond: Double) {
        self.perSecond = perSecond
        capacity = max(1, perSecond / 10)
        tokens = capacity
    }

    /// Takes a token and returns nil, or returns how long until one is free.
    mutating func take(now: ContinuousClock.Instant = .now) -> Duration? {
        tokens = min(capacity, tokens + perSecond * Self.seconds(now - refilled))
        refilled = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return .nanoseconds(Int64((1 - tokens) / perSecond * 1e9))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// One connection's HTTP handler: collects a request, then answers it as the core decides.
final class SimulatorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: SimulatorCore
    private var head: HTTPRequestHead?

    init(core: SimulatorCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let (answer, delay) = core.answer(to: head)
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
        }
    }
}
