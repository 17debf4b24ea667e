import Synchronization

/// Decides when each Get Call request may go out: how many may be in flight,
/// and how fast they may start, adapted to what the vendor accepts.
///
/// Neither vendor documents a rate limit, so the sync finds it the way TCP finds
/// a link's capacity. The window of requests in flight starts at 4, doubles per
/// round trip of successes (slow start) up to `--concurrency`, is cut by a
/// quarter on HTTP 429, and then grows by a quarter request per round trip: a
/// run settles just under the limit instead of hammering it. The rules count
/// answers, not seconds, so they hold for any latency.
///
/// A window cannot slow a vendor whose round trip is shorter than its limit's
/// interval (one request in flight is already too many per second). So once
/// the window is down to one and 429s keep coming, requests are also paced:
/// from four fifths of the rate the vendor was serving, doubling each second
/// until the next 429, then cut by a fifth (once per 250 ms at most) and growing
/// by a fifth per second.
///
/// One cut per round trip: a 429 for a request sent before the last cut says
/// nothing about the new window; tickets carry their send order for that.
/// `--max-rate` paces every request too. The rules are `GovernorRules`, a
/// value that tests replay exactly; this class adds only the lock and the
/// requests waiting for room.
public final class RequestGovernor: Sendable {
    /// One request's permission to be in flight.
    public struct Ticket: Sendable {
        fileprivate let sequence: UInt64
    }

    public typealias Signal = GovernorRules.Signal

    public let ceiling: Int
    private let state: Mutex<State>

    /// The rules, plus who is waiting for room: the only state behind the lock.
    private struct State {
        var rules: GovernorRules
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Ticket?, Never>)] = []

        mutating func issue() -> Ticket { Ticket(sequence: rules.issue()) }
    }

    public init(ceiling: Int, maxRate: Double? = nil) {
        let rules = GovernorRules(ceiling: ceiling, maxRate: maxRate)
        self.ceiling = rules.ceiling
        state = Mutex(State(rules: rules))
    }

    /// How many requests may be in flight now.
    public var permits: Int { state.withLock { $0.rules.permits } }
    /// The adaptive pace in requests per second, once 429s made one necessary.
    public var pace: Double? { state.withLock { $0.rules.pace } }
    /// HTTP 429 answers seen so far.
    public var throttledCount: Int { state.withLock { $0.rules.throttled } }

    /// Waits for room in the window, then for this request's start time.
    /// Throws `CancellationError` if the task is cancelled meanwhile.
    public func admit() async throws -> Ticket {
        guard let ticket = await enter() else { throw CancellationError() }
        if let start = scheduleStart() {
            do {
                try await Task.sleep(until: start, clock: .continuous)
            } catch {
                finish(ticket, .neutral)
                throw error
            }
        }
        return ticket
    }

    /// Claims the next start time when requests are paced.
    func scheduleStart(now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
        state.withLock { $0.rules.scheduleStart(now: now) }
    }

    private func enter() async -> Ticket? {
        // Room now: a ticket. Otherwise a waiter number, to park under below.
        enum Entry { case admitted(Ticket), closed, waiter(UInt64) }
        let entry = state.withLock { state -> Entry in
            if state.rules.closed { return .closed }
            if state.rules.hasRoom { return .admitted(state.issue()) }
            state.nextWaiter += 1
            return .waiter(state.nextWaiter)
        }
        let id: UInt64
        switch entry {
        case .admitted(let ticket): return ticket
        case .closed: return nil
        case .waiter(let number): id = number
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Decided now (a ticket, or nil when cancelled), or parked until a release.
                let decided: Ticket?? = state.withLock { state in
                    if Task.isCancelled || state.rules.closed { return .some(nil) }
                    if state.rules.hasRoom { return .some(state.issue()) }
                    state.waiters.append((id, continuation))
                    return .none
                }
                if let decided { continuation.resume(returning: decided) }
            }
        } onCancel: {
            let parked = state.withLock { state -> CheckedContinuation<Ticket?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            parked?.resume(returning: nil)
        }
    }

    /// Returns a ticket with what its answer said, and lets waiters in if the window allows.
    public func finish(_ ticket: Ticket, _ signal: Signal, now: ContinuousClock.Instant = .now) {
        let ready = state.withLock { state -> [(CheckedContinuation<Ticket?, Never>, Ticket?)] in
            state.rules.finish(sequence: ticket.sequence, signal, now: now)
            if state.rules.closed {
                defer { state.waiters.removeAll() }
                return state.waiters.map { ($0.continuation, nil) }
            }
            var ready: [(CheckedContinuation<Ticket?, Never>, Ticket?)] = []
            while state.rules.hasRoom, !state.waiters.isEmpty {
                ready.append((state.waiters.removeFirst().continuation, state.issue()))
            }
            return ready
        }
        for (continuation, ticket) in ready { continuation.resume(returning: ticket) }
    }
}

/// `RequestGovernor`'s rules as a value: what the window and the pace become
/// after each answer, and when a paced request may start. No lock and no
/// waiting, so tests drive it answer by answer with their own instants.
public struct GovernorRules: Sendable {
    /// What an answer says about the limit.
    public enum Signal: Sendable {
        /// The vendor served the request: grow.
        case served
        /// HTTP 429: too many, shrink.
        case throttled
        /// Anything else (errors, 404, cancellation): no news about the limit.
        case neutral
        /// HTTP 401/403: the key is wrong, so no request may go out after this
        /// one. Closing here, before the ticket lets a waiter in, is what keeps
        /// the requests of a wrong key to those already in flight.
        case rejected
    }

    /// Requests in flight at the start of a run.
    public static let initialWindow = 4
    public static let windowCut = 0.75
    /// Requests added to the window per round trip once past slow start.
    public static let windowGrowthPerRoundTrip = 0.25
    public static let paceCut = 0.8
    /// Requests per second added to the pace per request served: a fifth more each second.
    public static let paceGrowthPerServed = 0.2
    /// A paced run is cut at most this often: the first paced requests may still find the bucket empty.
    public static let paceCutInterval = Duration.milliseconds(250)

    public let ceiling: Int
    /// `--max-rate`: requests started per second, at most.
    public let maxRate: Double?

    private(set) var window: Double
    private var threshold: Double
    /// The adaptive pace in requests per second; nil until needed.
    public private(set) var pace: Double?
    /// The pace after the last cut; below it the pace grows fast.
    private var paceThreshold: Double?
    private var paceCutAt: ContinuousClock.Instant?
    private var nextStart: ContinuousClock.Instant?
    public private(set) var inFlight = 0
    /// Set by a `.rejected` answer; nothing is admitted after it.
    public private(set) var closed = false
    private var issued: UInt64 = 0
    /// Requests up to this one were sent before the last cut.
    private var cutAt: UInt64 = 0
    /// HTTP 429 answers seen so far.
    public private(set) var throttled = 0
    private var served = ServedRate()

    public init(ceiling: Int, maxRate: Double? = nil) {
        self.ceiling = max(1, ceiling)
        self.maxRate = maxRate
        window = Double(min(self.ceiling, Self.initialWindow))
        threshold = Double(self.ceiling)
    }

    /// How many requests may be in flight now.
    public var permits: Int { max(1, Int(window)) }
    public var hasRoom: Bool { !closed && inFlight < permits }

    /// A request goes out; returns its send order, which `finish` takes back.
    public mutating func issue() -> UInt64 {
        inFlight += 1
        issued += 1
        return issued
    }

    /// The next start time when requests are paced: one interval after the last claimed one.
    public mutating func scheduleStart(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let rates = [pace, maxRate].compactMap { $0 }
        guard let rate = rates.min() else { return nil }
        let start = max(now, nextStart ?? now)
        nextStart = start + .nanoseconds(Int64((1e9 / rate).rounded(.up)))
        return start
    }

    /// The request sent `sequence`-th was answered. One cut per round trip: a
    /// 429 for a request sent before the last cut says nothing about the new window.
    public mutating func finish(sequence: UInt64, _ signal: Signal, now: ContinuousClock.Instant) {
        inFlight -= 1
        switch signal {
        case .served:
            served.note(now)
            let growth = window < threshold ? 1 : Self.windowGrowthPerRoundTrip / window
            window = min(Double(ceiling), window + growth)
            if let pace {
                // Doubling each second until the first cut (the first estimate may be low), then a fifth.
                self.pace = pace + (pace < paceThreshold ?? .infinity ? 1 : Self.paceGrowthPerServed)
            }
        case .throttled:
            throttled += 1
            guard sequence > cutAt else { return }
            cutAt = issued
            if let pace {
                guard paceCutAt.map({ now - $0 >= Self.paceCutInterval }) ?? true else { return }
                self.pace = pace * Self.paceCut
                paceThreshold = self.pace
                paceCutAt = now
            } else if window > 1 {
                threshold = max(1, window * Self.windowCut)
                window = threshold
            } else if let serving = served.perSecond {
                pace = serving * Self.paceCut
                paceCutAt = now
            }
        case .neutral:
            break
        case .rejected:
            closed = true
        }
    }
}

/// The rate at which the vendor served the last few requests.
struct ServedRate: Sendable {
    private var times: [ContinuousClock.Instant] = []
    private var next = 0
    private static let span = 64

    mutating func note(_ time: ContinuousClock.Instant) {
        if times.count < Self.span { times.append(time) } else { times[next] = time }
        next = (next + 1) % Self.span
    }

    /// Served requests per second over the last `span`, once two are known.
    var perSecond: Double? {
        guard times.count >= 2 else { return nil }
        let newest = times[(next + times.count - 1) % times.count]
        let oldest = times.count < Self.span ? times[0] : times[next]
        let seconds = (newest - oldest).seconds
        return seconds > 0 ? Double(times.count - 1) / seconds : nil
    }
}
