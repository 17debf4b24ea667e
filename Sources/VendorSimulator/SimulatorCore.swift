import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The simulator's shared state, touched from every connection's event loop,
/// and the routing of each request to the endpoint that answers it.
final class SimulatorCore: Sendable {
    let configuration: SimulatorConfiguration
    let state = Mutex(State())

    struct State {
        var attempts: [String: Int] = [:]
        var randomFaults: [String: Int] = [:]
        var total = 0
        var faults = 0
        var rateLimited = 0
        var listRequests = 0
        var storageRequests = 0
        var headerValues: [String] = []
        var storageHeaderValues: [String] = []
        var bucket: TokenBucket?
        var ports = (api: 0, storage: 0)
        /// Seconds added to the wall clock (`advanceClock`).
        var clockOffset = 0
        /// Each vendor's listable calls, newest first, built on first use.
        var listable: [SimulatedVendor: [ListedCall]] = [:]
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
        /// A recording, sent in chunks; `stopAfter` drops the connection after that many bytes.
        case stream(contentType: String, RecordingStream, stopAfter: Int?, bytesPerSecond: Int?)
    }

    /// The simulator's clock, in Unix seconds.
    var now: Int { Int(Date().timeIntervalSince1970) + state.withLock { $0.clockOffset } }

    /// The recording links bodies carry right now.
    func links() -> RecordingLinks {
        let ports = state.withLock { $0.ports }
        return RecordingLinks(
            pureTalkAPIBase: "http://127.0.0.1:\(ports.api)\(SimulatedVendor.puretalk.basePath)",
            storageOrigin: "http://127.0.0.1:\(ports.storage)",
            expires: configuration.recordingLinkLifetime.map { now + Int($0.components.seconds) } ?? RecordingLinks.farFuture)
    }

    /// Decides the answer to one request, and after how long.
    func answer(to head: HTTPRequestHead, body: [UInt8] = [], on role: ListenerRole) -> (Answer, delay: Duration) {
        let components = URLComponents(string: head.uri)
        let path = components?.percentEncodedPath ?? head.uri
        let query = components?.queryItems ?? []
        if role == .storage { return storageAnswer(path: path, query: query, head: head) }
        if let vendor = SimulatedVendor.allCases.first(where: { path == $0.basePath + $0.listPath || path == $0.basePath + $0.listPath + "/" }) {
            return authorizedAPIAnswer(head, vendor: vendor) { listAnswer(vendor, query: query, body: body) }
        }
        if let id = recordingRoute(path) {
            return authorizedAPIAnswer(head, vendor: .puretalk) { pureTalkRecordingAnswer(id: id) }
        }
        if let (id, stereo) = vapiRecordingRoute(path) {
            return authorizedAPIAnswer(head, vendor: .vapi) { vapiRecordingAnswer(id: id, stereo: stereo) }
        }
        guard let (vendor, encodedID) = route(path), let id = encodedID.removingPercentEncoding else {
            return (Self.json(.notFound, "{\"detail\": \"Not Found\"}"), configuration.latency)
        }
        return getCallAnswer(head, vendor: vendor, id: id)
    }

    /// The API host's rate limit and key check, shared by List Calls and recordings.
    private func authorizedAPIAnswer(_ head: HTTPRequestHead, vendor: SimulatedVendor,
                                     _ answer: () -> (Answer, delay: Duration)) -> (Answer, delay: Duration) {
        if let limited = rateLimited() { return limited }
        state.withLock { $0.headerValues.append(contentsOf: head.headers.map(\.value)) }
        if let expected = configuration.apiKey, head.headers.first(name: vendor.authHeader) != vendor.authValue(expected) {
            return (Self.error(vendor, .unauthorized, "Invalid API key"), configuration.latency)
        }
        return answer()
    }

    private func rateLimited() -> (Answer, delay: Duration)? {
        let wait = state.withLock { state -> Duration? in
            guard let wait = state.bucket?.take() else { return nil }
            state.rateLimited += 1
            return wait
        }
        guard let wait else { return nil }
        let seconds = max(1, Int(TokenBucket.seconds(wait).rounded(.up)))  // Retry-After is whole seconds
        return (.respond(status: .tooManyRequests, headers: [("Retry-After", String(seconds)), ("Content-Type", "application/json")],
                         body: "{\"detail\": \"Rate limit exceeded\"}"), configuration.latency)
    }

    private func getCallAnswer(_ head: HTTPRequestHead, vendor: SimulatedVendor, id: String) -> (Answer, delay: Duration) {
        if let limited = rateLimited() {
            state.withLock { $0.total += 1 }
            return limited
        }
        let fault = state.withLock { state -> Fault? in
            state.total += 1
            state.headerValues.append(contentsOf: head.headers.map(\.value))
            return nextFault(key: "\(vendor.rawValue):\(id)", scriptKey: id, state: &state)
        }
        if let expected = configuration.apiKey, head.headers.first(name: vendor.authHeader) != vendor.authValue(expected) {
            return (Self.error(vendor, .unauthorized, "Invalid API key"), configuration.latency)
        }
        if let fault { return faultAnswer(fault, vendor: vendor, body: { self.body(vendor, id: id) }) }
        guard let body = body(vendor, id: id) else {
            return (Self.error(vendor, .notFound, "Call not found"), configuration.latency)
        }
        return (.respond(status: .ok, headers: [("Content-Type", "application/json")], body: body), configuration.latency)
    }

    func body(_ vendor: SimulatedVendor, id: String) -> String? {
        CallFactory.body(vendor, id: id, links: links())
    }

    /// Counts the request under `key` and returns the fault planned for it, if any.
    /// `scriptKey` is what `FaultPlan.scripted` names: the call ID for Get Call,
    /// `recording:ID` for recordings, `list:VENDOR:PAGE` for List Calls.
    func nextFault(key: String, scriptKey: String, state: inout State) -> Fault? {
        let attempt = (state.attempts[key] ?? 0) + 1
        state.attempts[key] = attempt
        guard let decided = configuration.faults.fault(for: scriptKey, attempt: attempt, randomSoFar: state.randomFaults[key] ?? 0)
        else { return nil }
        state.faults += 1
        if decided.random { state.randomFaults[key, default: 0] += 1 }
        return decided.fault
    }

    private func route(_ path: String) -> (SimulatedVendor, String)? {
        for vendor in SimulatedVendor.allCases {
            let prefix = vendor.basePath + vendor.callPath
            if path.hasPrefix(prefix) {
                let rest = String(path.dropFirst(prefix.count))
                return rest.isEmpty || rest.contains("/") ? nil : (vendor, rest)
            }
        }
        return nil
    }

    /// The generic answer to a fault; `body` is what a healthy answer would carry.
    func faultAnswer(_ fault: Fault, vendor: SimulatedVendor, body: () -> String?) -> (Answer, delay: Duration) {
        let latency = configuration.latency
        switch fault {
        case .serverError: return (Self.error(vendor, .internalServerError, "Internal Server Error"), latency)
        case .unavailable: return (Self.error(vendor, .serviceUnavailable, "Service Unavailable"), latency)
        case .tooManyRequests(let seconds):
            return (.respond(status: .tooManyRequests, headers: [("Retry-After", String(seconds)), ("Content-Type", "application/json")],
                             body: "{\"detail\": \"Too Many Requests\"}"), latency)
        case .connectionReset: return (.reset, latency)
        case .truncatedBody: return (.truncated(body: body() ?? "{\"detail\": \"Not Found\"}"), latency)
        case .slow(let seconds):
            return (.respond(status: .ok, headers: [("Content-Type", "application/json")], body: body() ?? "{}"),
                    .milliseconds(Int64(seconds * 1000)))
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

    /// Each vendor's error shape: PureTalk's `{err, msg}`, FastAPI's `{detail}`
    /// for PuppeteerAI; Retell documents none, so `{error_message}` stands in.
    static func error(_ vendor: SimulatedVendor, _ status: HTTPResponseStatus, _ message: String) -> Answer {
        switch vendor {
        case .puretalk: json(status, "{\"err\": true, \"msg\": \"\(message)\"}")
        case .puppeteer: json(status, "{\"detail\": \"\(message)\"}")
        case .retell: json(status, "{\"error_message\": \"\(message)\"}")
        case .vapi: json(status, "{\"message\": \"\(message)\", \"statusCode\": \(status.code)}")
        }
    }

    static func json(_ status: HTTPResponseStatus, _ body: String) -> Answer {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: body)
    }
}
