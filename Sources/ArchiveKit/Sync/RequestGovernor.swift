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
/// until the next 429, then cut by a fifth (once a second at most) and growing
/// by a fifth per second.
///
/// One cut per round trip: a 429 for a request sent before the last cut says
/// nothing about the new window. Tickets carry their send order for that, so
/// tests can replay the rules exactly. `--max-rate` paces every request too.
public final class RequestGovernor: Sendable {
    /// One request's permission to be in flight.
    public struct Ticket: Sendable {
        fileprivate let sequence: UInt64
    }

    /// What an answer says about the limit.
    public enum Signal: Sendable {
        /// The vendor served the request: grow.
        case served
        /// HTTP 429: too many, shrink.
        case throttled
        /// Anything else (errors, 404, cancellation): no news about the limit.
        case neutral
    }

    public static let windowCut = 0.75
    /// Requests added to the window per round trip once past slow start.
    public static let windowGrowthPerRoundTrip = 0.25
    public static let paceCut = 0.8
    /// Requests per second added to the pace per request served: a fifth more each second.
    public static let paceGrowthPerServed = 0.2

    public let ceiling: Int
    /// `--max-rate`: requests started per second, at most.
    public let maxRate: Double?
    private let state: Mutex<State>

    private struct State {
        var window: Double
        var threshold: Double
        /// The adaptive pace in requests per second; nil until needed.
        var pace: Double?
        /// The pace after the last cut; below it the pace grows fast.
        var paceThreshold: Double?
        var paceCutAt: ContinuousClock.Instant?
        var nextStart: ContinuousClock.Instant?
        var inFlight = 0
        var issued: UInt64 = 0
        /// Tickets up to this one were sent before the last cut.
        var cutAt: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Ticket?, Never>)] = []
        var throttled = 0
        var served = ServedRate()

        var permits: Int { max(1, Int(window)) }

        mutating func issue() -> Ticket {
            inFlight += 1
            issued += 1
            return Ticket(sequence: issued)
        }
    }

    public init(ceiling: Int, maxRate: Double? = nil, initialWindow: Int = 4) {
        self.ceiling = max(1, ceiling)
        self.maxRate = maxRate
        let start = Double(min(self.ceiling, max(1, initialWindow)))
        state = Mutex(State(window: start, threshold: Double(self.ceiling)))
    }

    /// How many requests may be in flight now.
    public var permits: Int { state.withLock { $0.permits } }
    /// The adaptive pace in requests per second, once 429s made one necessary.
    public var pace: Double? { state.withLock { $0.pace } }
    /// HTTP 429 answers seen so far.
    public var throttledCount: Int { state.withLock { $0.throttled } }

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

    /// Claims the next start time when requests are paced: one interval after the last claimed one.
    func scheduleStart(now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
        state.withLock { state in
            let rates = [state.pace, maxRate].compactMap { $0 }
            guard let rate = rates.min() else { return nil }
            let start = max(now, state.nextStart ?? now)
            state.nextStart = start + .nanoseconds(Int64((1e9 / rate).rounded(.up)))
            return start
        }
    }

    private func enter() async -> Ticket? {
        // Room now: a ticket. Otherwise a waiter number, to park under below.
        enum Entry { case admitted(Ticket), waiter(UInt64) }
        let entry = state.withLock { state -> Entry in
            if state.inFlight < state.permits { return .admitted(state.issue()) }
            state.nextWaiter += 1
            return .waiter(state.nextWaiter)
        }
        let id: UInt64
        switch entry {
        case .admitted(let ticket): return ticket
        case .waiter(let number): id = number
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Decided now (a ticket, or nil when cancelled), or parked until a release.
                let decided: Ticket?? = state.withLock { state in
                    if Task.isCancelled { return .some(nil) }
                    if state.inFlight < state.permits { return .some(state.issue()) }
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
        let ready = state.withLock { state -> [(CheckedContinuation<Ticket?, Never>, Ticket)] in
            state.inFlight -= 1
            switch signal {
            case .served:
                state.served.note(now)
                let growth = state.window < state.threshold ? 1 : Self.windowGrowthPerRoundTrip / state.window
                state.window = min(Double(ceiling), state.window + growth)
                if let pace = state.pace {
                    // Doubling each second until the first cut (the first estimate may be low), then a fifth.
                    state.pace = pace + (pace < state.paceThreshold ?? .infinity ? 1 : Self.paceGrowthPerServed)
                }
            case .throttled:
                state.throttled += 1
                guard ticket.sequence > state.cutAt else { break }
                state.cutAt = state.issued
                if let pace = state.pace {
                    // One cut per quarter second at most: the first paced requests may still find the bucket empty.
                    guard state.paceCutAt.map({ now - $0 >= .milliseconds(250) }) ?? true else { break }
                    state.pace = pace * Self.paceCut
                    state.paceThreshold = state.pace
                    state.paceCutAt = now
                } else if state.window > 1 {
                    state.threshold = max(1, state.window * Self.windowCut)
                    state.window = state.threshold
                } else if let serving = state.served.perSecond {
                    state.pace = serving * Self.paceCut
                    state.paceCutAt = now
                }
            case .neutral:
                break
            }
            var ready: [(CheckedContinuation<Ticket?, Never>, Ticket)] = []
            while state.inFlight < state.permits, !state.waiters.isEmpty {
                ready.append((state.waiters.removeFirst().continuation, state.issue()))
            }
            return ready
        }
        for (continuation, ticket) in ready { continuation.resume(returning: ticket) }
    }
}

/// The rate at which the vendor served the last few requests.
private struct ServedRate {
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
