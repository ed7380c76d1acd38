import RemitCore
import Testing

@Suite("token bucket")
struct TokenBucketTests {
    let second: UInt64 = 1_000_000_000

    @Test("a burst is allowed, then refused with a retry time, then allowed again as it refills")
    func refill() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 2, nowNanoseconds: 0)
        for _ in 0..<3 { #expect(bucket.take(nowNanoseconds: 0) == .allowed) }
        #expect(bucket.take(nowNanoseconds: 0) == .limited(retryAfterSeconds: 1))
        #expect(bucket.take(nowNanoseconds: second / 2) == .allowed, "half a second refills one token at 2/s")
        #expect(bucket.take(nowNanoseconds: second / 2) == .limited(retryAfterSeconds: 1))
        #expect(!bucket.isFull(nowNanoseconds: second))
        #expect(bucket.isFull(nowNanoseconds: 10 * second))
        #expect(bucket.take(nowNanoseconds: 100 * second) == .allowed, "never more than its capacity")
        #expect(bucket.take(nowNanoseconds: 100 * second) == .allowed)
        #expect(bucket.take(nowNanoseconds: 100 * second) == .allowed)
        #expect(bucket.take(nowNanoseconds: 100 * second) == .limited(retryAfterSeconds: 1))
    }

    @Test("a slow refill says how many whole seconds to wait")
    func retryAfter() {
        var bucket = TokenBucket(capacity: 1, refillPerSecond: 0.25, nowNanoseconds: 0)
        #expect(bucket.take(nowNanoseconds: 0) == .allowed)
        #expect(bucket.take(nowNanoseconds: 0) == .limited(retryAfterSeconds: 4))
        #expect(bucket.take(nowNanoseconds: 3 * second) == .limited(retryAfterSeconds: 1))
    }

    @Test("a request standing for several takes as many tokens, or none; never more than the bucket holds")
    func takeSeveral() {
        var bucket = TokenBucket(capacity: 10, refillPerSecond: 1, nowNanoseconds: 0)
        #expect(bucket.take(8, nowNanoseconds: 0) == .allowed)
        #expect(bucket.take(3, nowNanoseconds: 0) == .limited(retryAfterSeconds: 1), "2 left, 3 asked: 1 s to the third")
        #expect(bucket.take(2, nowNanoseconds: 0) == .allowed, "the refused request took nothing")
        #expect(bucket.take(1_000, nowNanoseconds: 0) == .limited(retryAfterSeconds: 10), "asks for the whole bucket, not 1,000")
        #expect(bucket.take(1_000, nowNanoseconds: 10 * second) == .allowed)
        #expect(bucket.take(nowNanoseconds: 10 * second) == .limited(retryAfterSeconds: 1))
    }
}
