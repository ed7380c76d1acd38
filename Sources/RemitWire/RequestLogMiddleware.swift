import Hummingbird
import Logging
import RemitCore

/// Gives every request one request id (the router's, or the client's when it is sane, else a
/// new one: `RequestID.sanitize`) and one trace (`TraceParent`: a valid one continued with this
/// process as the parent span, else a new one), in the headers the handlers read and the proxy
/// sends on (so an event's metadata holds the ids the logs show), and as `request_id` and
/// `trace_id` on every line the request logs. With `accessLog`, one line per request when it
/// is answered: method, route, status and milliseconds.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let accessLog: Bool

    public init(accessLog: Bool = false) {
        self.accessLog = accessLog
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context, head = request.head
        let id = RequestID.sanitize(request.headers[RequestID.header])
        let trace = request.headers[TraceParent.header].flatMap(TraceParent.init)?.child() ?? TraceParent.start()
        head.headerFields[RequestID.header] = id
        head.headerFields[TraceParent.header] = trace.text
        context.logger[metadataKey: "request_id"] = .string(id)
        context.logger[metadataKey: "trace_id"] = .string(trace.traceID)
        guard accessLog else { return try await next(Request(head: head, body: request.body), context) }
        do {
            let response = try await next(Request(head: head, body: request.body), context)
            log(request, context, status: response.status.code, started: started)
            return response
        } catch {
            log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, started: started)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        let milliseconds = (ContinuousClock.now - started).milliseconds
        context.logger.info("answered", metadata: [
            "method": .string(request.method.rawValue), "route": .string(context.endpointPath ?? "unmatched"),
            "status": .stringConvertible(status), "duration_ms": .stringConvertible((milliseconds * 1_000).rounded() / 1_000),
        ])
    }
}
