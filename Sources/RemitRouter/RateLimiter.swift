import Hummingbird
import RemitCore
import RemitHTTP
import Dispatch
import Synchronization

/// One token bucket per client address, bounded in how many addresses it remembers.
public final class RateLimiter: Sendable {
    private let requestsPerSecond: Double
    private let burst: Double
    private let addressesMax: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])

    public init(requestsPerSecond: Double, burst: Double, addressesMax: Int = Limits.rateLimitAddressesMax) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.addressesMax = addressesMax
    }

    public func take(_ key: String, nowNanoseconds: UInt64 = DispatchTime.now().uptimeNanoseconds) -> TokenBucket.Decision {
        buckets.withLock { buckets in
            if buckets[key] == nil && buckets.count >= addressesMax {
                // Forget addresses whose buckets refilled (they are as good as new); if every
                // address is busy, forget them all rather than grow without bound.
                buckets = buckets.filter { !$0.value.isFull(nowNanoseconds: nowNanoseconds) }
                if buckets.count >= addressesMax { buckets.removeAll() }
            }
            var bucket = buckets[key] ?? TokenBucket(capacity: burst, refillPerSecond: requestsPerSecond, nowNanoseconds: nowNanoseconds)
            let decision = bucket.take(nowNanoseconds: nowNanoseconds)
            buckets[key] = bucket
            return decision
        }
    }
}

/// Refuses a client address's requests beyond its rate with 429 and `Retry-After`. Health
/// checks are not counted, so monitoring never locks itself out.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = RouterRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" || request.uri.path == "/readyz" { return try await next(request, context) }
        switch limiter.take(context.clientAddress ?? "unknown") {
        case .allowed:
            return try await next(request, context)
        case .limited(let retryAfterSeconds):
            var response = Problem(
                slug: "rate-limited", title: "Too many requests", status: .tooManyRequests,
                detail: "this address sent more requests than it may; retry after \(retryAfterSeconds) s"
            ).makeResponse()
            response.headers[.retryAfter] = String(retryAfterSeconds)
            return response
        }
    }
}
