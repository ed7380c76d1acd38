/// A token bucket: `capacity` requests at once, refilled at `refillPerSecond`. Pure: the caller
/// supplies the time, so every case can be tested without waiting.
public struct TokenBucket: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a token will be there after this many whole seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    public let capacity: Double
    public let refillPerSecond: Double
    private var tokens: Double
    private var lastNanoseconds: UInt64

    public init(capacity: Double, refillPerSecond: Double, nowNanoseconds: UInt64) {
        precondition(capacity >= 1 && refillPerSecond > 0, "a bucket holds at least one token and refills")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.lastNanoseconds = nowNanoseconds
    }

    /// Takes `count` tokens (a request that stands for several, such as a batch of creates),
    /// or none when fewer are there. At most `capacity` are asked for, so a request as large as
    /// the bucket can still pass once it is full.
    public mutating func take(_ count: Double = 1, nowNanoseconds: UInt64) -> Decision {
        precondition(count >= 1, "a request takes at least one token")
        let cost = min(count, capacity)
        refill(nowNanoseconds)
        if tokens >= cost {
            tokens -= cost
            return .allowed
        }
        let secondsToEnough = (cost - tokens) / refillPerSecond
        return .limited(retryAfterSeconds: max(1, Int(secondsToEnough.rounded(.up))))
    }

    /// True when the bucket has refilled completely: forgetting it changes nothing.
    public func isFull(nowNanoseconds: UInt64) -> Bool {
        var copy = self
        copy.refill(nowNanoseconds)
        return copy.tokens >= capacity
    }

    private mutating func refill(_ now: UInt64) {
        guard now > lastNanoseconds else { return }
        let elapsedSeconds = Double(now - lastNanoseconds) / 1_000_000_000
        tokens = min(capacity, tokens + elapsedSeconds * refillPerSecond)
        lastNanoseconds = now
    }
}
