import Foundation
import Hummingbird
import RemitWire
import RemitAuth
import RemitCore

/// Who may call a route: anyone, or a verified principal holding one of the roles.
public enum Access: Sendable, Equatable {
    case anyone
    case roles(Set<Role>)

    public static func only(_ roles: Role...) -> Access { .roles(Set(roles)) }
}

/// Checks the bearer token of a request against the route's access: 401 without a valid
/// token, 429 past the principal's rate, 403 without a fitting role.
public struct AccessGuard: Sendable {
    let verifier: TokenVerifier
    let principalLimiter: KeyedRateLimiter
    let enforced: Bool

    public init(verifier: TokenVerifier, requestsPerSecondPerPrincipal: Double, burstPerPrincipal: Double, enforced: Bool = true) {
        self.verifier = verifier
        self.enforced = enforced
        principalLimiter = KeyedRateLimiter(
            requestsPerSecond: requestsPerSecondPerPrincipal, burst: burstPerPrincipal, keysMax: Limits.rateLimitPrincipalsMax
        )
    }

    func check(_ request: Request, _ access: Access) async throws -> Principal? {
        guard case .roles(let admitted) = access, enforced else { return nil }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("this needs a bearer token: sign in at POST /api/v1/auth/token")
        }
        // "Bearer " then the token (RFC 6750 §2.1); the scheme's case does not matter. Plain
        // prefix checks: this runs on every request.
        guard header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthorized("send the token as Authorization: Bearer <token>", error: "invalid_request")
        }
        let token = String(header.utf8.dropFirst(7))!
        let principal: Principal
        switch await verifier.verify(token) {
        case .success(let verified): principal = verified
        case .failure(let rejection): throw Problem.unauthorized(rejection.description, error: "invalid_token")
        }
        try charge(principal, requests: 1)
        guard principal.holds(anyOf: admitted) else {
            throw Problem.forbidden("this needs one of the roles " + admitted.sorted().map(\.rawValue).joined(separator: ", "))
        }
        return principal
    }

    /// Counts `requests` more against the principal's rate: a batch of creates costs what as
    /// many single creates would (`check` counted its first), or a batch would let one token
    /// ask for a thousand times what the limit means to allow.
    func charge(_ principal: Principal?, requests: Int) throws {
        guard let principal, requests > 0 else { return }
        if case .limited(let seconds) = principalLimiter.take(principal.actor, count: requests) {
            throw Problem.rateLimited(retryAfterSeconds: seconds, detail: "this principal sent more requests than it may; retry after \(seconds) s")
        }
    }
}

/// Registers a node's routes, each with its access rule, and tells the recorder.
struct NodeRoutes {
    let router: Router<NodeRequestContext>
    let accessGuard: AccessGuard
    let recorder: RouteRecorder?
    let methods: MethodTable

    func add(
        _ method: HTTPRequest.Method, _ path: String, _ access: Access,
        use handler: @escaping @Sendable (Request, NodeRequestContext) async throws -> Response
    ) {
        recorder?.record(method, path, access)
        methods.add(method, path)
        let accessGuard = self.accessGuard
        router.on(RouterPath(path), method: method) { request, context in
            var context = context
            context.principal = try await accessGuard.check(request, access)
            return try await handler(request, context)
        }
    }
}
