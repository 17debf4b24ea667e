/// What can go wrong with one request.
public enum Fault: Sendable, Equatable {
    case serverError  // 500
    case unavailable  // 503
    case tooManyRequests(retryAfterSeconds: Int)  // 429 with Retry-After
    case connectionReset  // the TCP connection is reset before any answer
    case truncatedBody  // the answer promises more bytes than it sends
    case slow(seconds: Double)  // the answer comes after this delay
    case htmlErrorPage  // 200 with an HTML page, as a misbehaving proxy sends
    case notFound  // 404
    case unauthorized  // 401
    case redirect(location: String)  // 302 elsewhere
    /// Any answer at all, for hostile-vendor tests: a wrong-typed body, a huge
    /// one, a gzip bomb (with `Content-Encoding: gzip`), duplicate keys…
    case raw(status: Int, headers: [String: String], body: [UInt8])

    /// The faults a healthy-but-flaky vendor produces; retries get past all of them.
    public static func transient(slowSeconds: Double = 3) -> [Fault] {
        [.serverError, .unavailable, .tooManyRequests(retryAfterSeconds: 0), .connectionReset, .truncatedBody,
         .slow(seconds: slowSeconds), .htmlErrorPage]
    }
}

/// Which requests get which faults.
///
/// Random faults hit about `rate` of requests, but never more than
/// `maxPerID` times for one ID, so a client allowed `maxPerID + 1` attempts
/// archives every call: tests can then assert exact outcomes. `scripted`
/// faults are served first, in order, for the IDs they name.
public struct FaultPlan: Sendable {
    public var rate: Double
    public var kinds: [Fault]
    public var maxPerID: Int
    public var seed: UInt64
    public var scripted: [String: [Fault]]

    public init(rate: Double = 0, kinds: [Fault] = Fault.transient(), maxPerID: Int = 2, seed: UInt64 = 42,
                scripted: [String: [Fault]] = [:]) {
        self.rate = rate
        self.kinds = kinds
        self.maxPerID = maxPerID
        self.seed = seed
        self.scripted = scripted
    }

    public static let none = FaultPlan()

    /// The fault for the `attempt`-th request (from 1) for `id`, given how many
    /// random faults that ID has had so far.
    func fault(for id: String, attempt: Int, randomSoFar: Int) -> (fault: Fault, random: Bool)? {
        if let script = scripted[id], attempt <= script.count { return (script[attempt - 1], false) }
        guard rate > 0, !kinds.isEmpty, randomSoFar < maxPerID else { return nil }
        var rng = SplitMix64("\(seed):\(id):\(attempt)")
        guard rng.chance(rate) else { return nil }
        return (rng.pick(kinds), true)
    }
}
