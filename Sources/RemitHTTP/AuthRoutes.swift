import Foundation
import Hummingbird
import RemitWire
import RemitAuth
import RemitCore
import RemitStorage

/// What a successful sign-in or refresh answers.
struct TokenBody: Codable {
    var accessToken: String
    var tokenType = "Bearer"
    /// Seconds until the access token expires.
    var expiresIn: Int64
    var refreshToken: String
    var refreshExpiresIn: Int64
    var roles: [String]
}

/// Sign-in, refresh, logout and the published keys. Anyone may call these; they are guarded
/// by the sign-in throttle instead (per address, and per user name with a lock-out).
func addAuthRoutes(to routes: NodeRoutes, identity: NodeIdentity) {
    routes.add(.post, "/api/v1/auth/token", .anyone) { request, context in
        try admit(identity.throttle.admitAddress(context.clientAddress), "too many sign-in attempts from this address")
        let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.authBodyBytesMax)
        var reader = FieldReader(body, allowed: ["username", "password"])
        let username = reader.string("username") ?? "", password = reader.string("password") ?? ""
        try reader.check()
        // The throttle's key for any text sent, real name or not, bounded so junk can not grow it.
        let throttleKey = String(username.lowercased().prefix(UserName.lengthMax))
        try admit(identity.throttle.admitName(throttleKey), "too many failed sign-ins for this user name", slug: "sign-in-locked")

        let name = UserName(rawValue: username)
        let credentials = try await name.asyncMap { try await identity.store.credentials($0) } ?? nil
        // Unknown names are checked against a decoy hash: the answer takes as long either way.
        let matches = try await identity.hasher.verify(password, hash: credentials?.passwordHash ?? Passwords.decoyHash)
        guard matches, let user = credentials?.user, !user.disabled else {
            if identity.throttle.recordFailure(throttleKey), let name {
                try? await identity.store.audit(
                    "signin.lock", target: name.rawValue, context: AuditContext(actor: "anonymous", source: context.clientAddress),
                    outcome: .refused, detail: "\(identity.throttle.failuresMax) failed sign-ins; locked for \(identity.throttle.lockSeconds) s"
                )
            }
            // The name only when it could be one (it is then plain ASCII); never the password.
            context.logger.notice("sign-in refused", metadata: ["user": .string(name?.rawValue ?? "(not a user name)")])
            throw Problem.unauthorized("the user name or password is wrong", slug: "invalid-credentials")
        }
        identity.throttle.recordSuccess(throttleKey)
        context.logger.info("signed in", metadata: ["user": .string(user.name.rawValue)])
        let refresh = RefreshToken.generate()
        let refreshExpiresAt = Date().addingTimeInterval(TimeInterval(identity.configuration.refreshTokenLifetimeSeconds))
        try await identity.store.storeRefreshToken(hash: refresh.hash, family: UUID(), user: user.name, expiresAt: refreshExpiresAt)
        return try await tokenResponse(identity, user: user, refreshToken: refresh.token)
    }

    routes.add(.post, "/api/v1/auth/refresh", .anyone) { request, context in
        try admit(identity.throttle.admitAddress(context.clientAddress), "too many token requests from this address")
        let hash = try await refreshTokenHash(request)
        let successor = RefreshToken.generate()
        let expiresAt = Date().addingTimeInterval(TimeInterval(identity.configuration.refreshTokenLifetimeSeconds))
        switch try await identity.store.redeemRefreshToken(hash: hash, successor: successor.hash, expiresAt: expiresAt) {
        case .rotated(let user):
            // Roles come from the user as they are now, so a change takes effect at the next refresh.
            return try await tokenResponse(identity, user: user, refreshToken: successor.token)
        case .reused(let user):
            context.logger.warning("a used refresh token was presented again; its sign-in is revoked", metadata: ["user": .string(user)])
            throw Problem.unauthorized(
                "this refresh token was used before, so a copy may be in other hands: its sign-in is revoked; sign in again",
                error: "invalid_token", slug: "refresh-token-reused"
            )
        case .invalid:
            throw Problem.unauthorized("the refresh token is unknown, expired or revoked", error: "invalid_token", slug: "invalid-refresh-token")
        }
    }

    routes.add(.post, "/api/v1/auth/logout", .anyone) { request, context in
        try admit(identity.throttle.admitAddress(context.clientAddress), "too many token requests from this address")
        // Revokes the sign-in whether or not the token is known, and says nothing either way.
        _ = try await identity.store.revokeFamily(ofToken: try await refreshTokenHash(request))
        return Response(status: .noContent)
    }

    routes.add(.get, "/.well-known/jwks.json", .anyone) { _, _ in
        var response = try jsonResponse(identity.jwks)
        response.headers[.contentType] = "application/jwk-set+json"
        return response
    }
}

private func refreshTokenHash(_ request: Request) async throws -> [UInt8] {
    let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.authBodyBytesMax)
    var reader = FieldReader(body, allowed: ["refreshToken"])
    let token = reader.string("refreshToken") ?? ""
    try reader.check()
    guard let hash = RefreshToken.hash(token) else {
        throw Problem.unauthorized("the refresh token is unknown, expired or revoked", error: "invalid_token", slug: "invalid-refresh-token")
    }
    return hash
}

private func tokenResponse(_ identity: NodeIdentity, user: StoredUser, refreshToken: String) async throws -> Response {
    let access = try await identity.tokenIssuer().issue(subject: user.name.rawValue, roles: user.roles)
    return try jsonResponse(TokenBody(
        accessToken: access.token, expiresIn: identity.configuration.accessTokenLifetimeSeconds, refreshToken: refreshToken,
        refreshExpiresIn: identity.configuration.refreshTokenLifetimeSeconds, roles: user.roles.sorted().map(\.rawValue)
    ))
}

private func admit(_ decision: SignInThrottle.Decision, _ reason: String, slug: String = "rate-limited") throws {
    if case .refused(let seconds) = decision {
        throw Problem.rateLimited(retryAfterSeconds: seconds, detail: "\(reason); retry after \(seconds) s", slug: slug)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
