import Hummingbird
import Prometheus
import RemitCore
import RemitWire

/// Refuses a client address's requests beyond its rate with 429 and `Retry-After`. Health
/// checks are not counted, so monitoring never locks itself out.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = RouterRequestContext
    let limiter: KeyedRateLimiter
    /// `remit_router_rate_limited_total`.
    let refused: Counter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" || request.uri.path == "/readyz" { return try await next(request, context) }
        switch limiter.take(context.clientAddress ?? "unknown") {
        case .allowed:
            return try await next(request, context)
        case .limited(let retryAfterSeconds):
            refused.increment()
            return Problem.rateLimited(
                retryAfterSeconds: retryAfterSeconds, detail: "this address sent more requests than it may; retry after \(retryAfterSeconds) s"
            ).makeResponse()
        }
    }
}
