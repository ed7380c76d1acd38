import HTTPTypes
import Hummingbird

/// CORS for an explicit list of origins, and nobody else: a listed origin's browser scripts may
/// call the API (with a bearer token, never cookies); any other origin gets no CORS headers,
/// so browsers keep our answers from it. Off unless origins are configured.
public struct CORSAllowListMiddleware<Context: RequestContext>: RouterMiddleware {
    static var allowMethods: String { "GET, POST, PATCH" }
    static var allowHeaders: String { "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id" }
    static var exposeHeaders: String { "ETag, Location, Retry-After, X-Request-Id" }
    /// How long a browser may cache a preflight answer, in seconds.
    static var maxAgeSeconds: String { "600" }

    let allowedOrigins: Set<String>

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowedOrigins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = Self.allowMethods
            response.headers[.accessControlAllowHeaders] = Self.allowHeaders
            response.headers[.accessControlMaxAge] = Self.maxAgeSeconds
            return Self.allow(response, origin)
        }
        var response = try await next(request, context)
        response.headers[.accessControlExposeHeaders] = Self.exposeHeaders
        return Self.allow(response, origin)
    }

    static func allow(_ response: Response, _ origin: String) -> Response {
        var response = response
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}
