import Hummingbird

/// Gives every request one request id (the router's, or the client's when it is sane, else a
/// new one: `RequestID.sanitize`), in the `X-Request-Id` the handlers read (so the id in an
/// event's metadata is the one in the log) and as `request_id` on every line the request logs.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context, head = request.head
        let id = RequestID.sanitize(request.headers[RequestID.header])
        head.headerFields[RequestID.header] = id
        context.logger[metadataKey: "request_id"] = .string(id)
        return try await next(Request(head: head, body: request.body), context)
    }
}
