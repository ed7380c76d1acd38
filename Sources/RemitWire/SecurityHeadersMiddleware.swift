import HTTPTypes
import Hummingbird

/// Headers every response carries, errors included: a browser may not sniff types, frame the
/// page, leak the URL in Referer, or cache a financial answer. No CORS header is ever set, so
/// other origins' scripts can not read our answers unless CORS names them
/// (`CORSAllowListMiddleware`). Served over TLS, browsers are also told to use nothing else.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Strict enough for a UI served by us alone: our own scripts, styles and connections only.
    public static var contentSecurityPolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    }

    static var headers: [(HTTPField.Name, String)] {
        [
            (.contentSecurityPolicy, contentSecurityPolicy),
            (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
            (HTTPField.Name("X-Frame-Options")!, "DENY"),
            (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
            (.cacheControl, "no-store"),
        ]
    }

    /// Two years, the HSTS preload list's minimum.
    static var strictTransportSecurity: String { "max-age=63072000; includeSubDomains" }
    let tls: Bool

    public init(tls: Bool) {
        self.tls = tls
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        for (name, value) in Self.headers { response.headers[name] = value }
        if tls { response.headers[.strictTransportSecurity] = Self.strictTransportSecurity }
        return response
    }
}
