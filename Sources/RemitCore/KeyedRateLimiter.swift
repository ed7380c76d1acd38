import Dispatch
import Synchronization

/// One token bucket per key (a client address, a principal), bounded in how many keys it remembers.
public final class KeyedRateLimiter: Sendable {
    private let requestsPerSecond: Double
    private let burst: Double
    private let keysMax: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])

    public init(requestsPerSecond: Double, burst: Double, keysMax: Int = Limits.rateLimitAddressesMax) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.keysMax = keysMax
    }

    /// Takes `count` tokens from `key`'s bucket (see `TokenBucket.take`).
    public func take(_ key: String, count: Int = 1, nowNanoseconds: UInt64 = DispatchTime.now().uptimeNanoseconds) -> TokenBucket.Decision {
        buckets.withLock { buckets in
            if buckets[key] == nil && buckets.count >= keysMax {
                // Forget keys whose buckets refilled (they are as good as new); if every
                // key is busy, forget them all rather than grow without bound.
                buckets = buckets.filter { !$0.value.isFull(nowNanoseconds: nowNanoseconds) }
                if buckets.count >= keysMax { buckets.removeAll() }
            }
            var bucket = buckets[key] ?? TokenBucket(capacity: burst, refillPerSecond: requestsPerSecond, nowNanoseconds: nowNanoseconds)
            let decision = bucket.take(Double(count), nowNanoseconds: nowNanoseconds)
            buckets[key] = bucket
            return decision
        }
    }
}
