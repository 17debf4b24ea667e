import Foundation

/// When and how long to wait before asking the vendor again.
///
/// Capped exponential backoff with full jitter (as Retell's client does, 0.5 s
/// up to 8 s), honouring the vendor's `Retry-After` up to a ceiling so a
/// misconfigured server cannot park the sync for hours.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var retryAfterCeiling: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8),
                retryAfterCeiling: Duration = .seconds(60)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.retryAfterCeiling = retryAfterCeiling
    }

    /// The most added at random to a `Retry-After`.
    public static let retryAfterSpread = Duration.seconds(1)

    /// The wait before attempt `attempt + 1`, and whether a `Retry-After` was cut to the ceiling.
    ///
    /// A `Retry-After` is a floor, not an appointment. A rate limit refuses many
    /// requests in the same instant with the same value (whole seconds), and
    /// waiting exactly that long sends them back together, into the same limit,
    /// until some run out of attempts. So up to as long again, at most
    /// `retryAfterSpread`, is added at random, within the ceiling.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> (delay: Duration, capped: Bool) {
        if let retryAfter {
            guard retryAfter <= retryAfterCeiling else { return (retryAfterCeiling, true) }
            let floor = max(retryAfter, .zero)
            let spread = min(floor, Self.retryAfterSpread) * Double.random(in: 0...1)
            return (min(retryAfterCeiling, floor + spread), false)
        }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        return (.milliseconds(Int64(Double.random(in: 0...ceiling.seconds) * 1000)), false)
    }

    /// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 {
            return .milliseconds(Int64(min(seconds, 1e9) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) {
                return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
            }
        }
        return nil
    }
}
