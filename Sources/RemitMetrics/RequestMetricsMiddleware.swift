import Hummingbird
import Prometheus

/// Counts every request and times it, by route template (never the raw path: ids would make
/// a family per remittance), method and status: `remit_http_requests_total` and
/// `remit_http_request_duration_seconds`. Outermost, so the status is the one the client got,
/// problems included; a request no route matched is `unmatched`, a method outside HTTP's
/// usual set `other`.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: MetricsRegistry

    public init(metrics: MetricsRegistry) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, elapsed: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: status, elapsed: ContinuousClock.now - started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, elapsed: Duration) {
        let labels = [
            ("route", Self.route(context.endpointPath)), ("method", Self.method(request.method)), ("status", String(status)),
        ]
        metrics.counter("remit_http_requests_total", "HTTP requests answered, by route template, method and status.", labels: labels)
            .increment()
        metrics.durations("remit_http_request_duration_seconds", "Time to answer an HTTP request, by route template, method and status.", labels: labels)
            .record(elapsed)
    }

    /// The route template; `unmatched` for a request no route took (Hummingbird's `NotFound`,
    /// or one a middleware answered first: a file of the console, a refusal).
    static func route(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound" else { return "unmatched" }
        return endpointPath
    }

    static func method(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: method.rawValue
        default: "other"
        }
    }
}
