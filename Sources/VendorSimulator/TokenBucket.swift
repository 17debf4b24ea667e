import Foundation

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
