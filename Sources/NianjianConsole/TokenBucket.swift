/// A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. Times are seconds on a
/// monotonic clock, passed in so the bucket stays a pure value.
public struct TokenBucket: Sendable, Hashable {
    public let ratePerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var updatedAt: Double
    /// While paused (a throttling answer), no token is given before this time.
    private var pausedUntil: Double = 0

    public init(ratePerSecond: Double, burst: Double, now: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.updatedAt = now
    }

    /// Unlimited when the rate is 0 or less.
    public var isUnlimited: Bool { ratePerSecond <= 0 }

    private mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + (now - updatedAt) * ratePerSecond)
        updatedAt = now
    }

    /// Takes a token if one is there.
    public mutating func take(now: Double) -> Bool {
        if isUnlimited { return now >= pausedUntil }
        guard now >= pausedUntil else { return false }
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds until `take` can succeed (0 when it can now).
    public mutating func secondsUntilToken(now: Double) -> Double {
        let pause = max(0, pausedUntil - now)
        if isUnlimited { return pause }
        refill(now: now)
        let refillWait = tokens >= 1 ? 0 : (1 - tokens) / ratePerSecond
        return max(pause, refillWait)
    }

    /// Stops giving tokens until `until` (a throttling answer), and starts again from an empty bucket.
    public mutating func pause(until: Double) {
        guard until > pausedUntil else { return }
        pausedUntil = until
        tokens = 0
        updatedAt = max(updatedAt, until)
    }
}
