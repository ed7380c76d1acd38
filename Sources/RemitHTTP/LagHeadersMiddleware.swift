import HTTPTypes
import Hummingbird
import RemitReplication

/// On a reader, every `/api/v1` read says how far behind the writer it is, so a client can
/// judge a standby's answer.
struct LagHeadersMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    static let lagEvents = HTTPField.Name("X-Remit-Lag-Events")!
    static let lagMilliseconds = HTTPField.Name("X-Remit-Lag-Milliseconds")!
    let status: ReplicationStatus

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.method == .get, request.uri.path.hasPrefix("/api/v1/") {
            let figures = status.current
            if figures.mode == "pulling" {
                response.headers[Self.lagEvents] = String(figures.lagEvents)
                response.headers[Self.lagMilliseconds] = String(figures.lagMilliseconds)
            }
        }
        return response
    }
}
