import Foundation
import Hummingbird
import RemitWire
import RemitAuth
import RemitCore
import RemitMetrics
import RemitStorage
import Prometheus

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
func addAuthRoutes(to routes: NodeRoutes, identity: NodeIdentity, metrics: MetricsRegistry) {
    func signIns(_ outcome: String) -> Counter {
        metrics.counter("remit_signin_total", "Sign-ins with a password, by outcome: signed-in, refused (a wrong name or password, a disabled user), throttled.", labels: [("outcome", outcome)])
    }
    let (signedIn, refused, throttled) = (signIns("signed-in"), signIns("refused"), signIns("throttled"))
    let lockOuts = metrics.counter("remit_signin_lockouts_total", "User names locked after too many failed sign-ins.")
    routes.add(.post, "/api/v1/auth/token", .anyone) { request, context in
        do {
            try admit(identity.throttle.admitAddress(context.clientAddress), "too many sign-in attempts from this address")
        } catch {
            throttled.increment()
            throw error
        }
        let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.authBodyBytesMax)
        var reader = FieldReader(body, allowed: ["username", "password"])
        let username = reader.string("username") ?? "", password = reader.string("password") ?? ""
        try reader.check()
        // The throttle's key for any text sent, real name or not, bounded so junk can not grow it.
        let throttleKey = String(username.lowercased().prefix(UserName.lengthMax))
        do {
            try admit(identity.throttle.admitName(throttleKey), "too many failed sign-ins for this user name", slug: "sign-in-locked")
        } catch {
            throttled.increment()
            throw error
        }

        let name = UserName(rawValue: username)
        let credentials = try await name.asyncMap { try await identity.store.credentials($0) } ?? nil
        // Unknown names are checked against a decoy hash: the answer takes as long either way.
        let stored = credentials.flatMap { identity.seal.open($0.passwordSeal) }
        let matches = try await identity.hasher.verify(password, hash: stored ?? Passwords.decoyHash) && stored != nil
        guard matches, let user = credentials?.user, !user.disabled else {
            refused.increment()
            let locked = identity.throttle.recordFailure(throttleKey)
            if locked { lockOuts.increment() }
            if locked, let name {
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
        signedIn.increment()
        context.logger.info("signed in", metadata: ["user": .string(user.name.rawValue)])
        // Nothing is written: the refresh token is signed, and its family enters the log
        // when it is first redeemed. Sign-in works in every region, from its copy of the users.
        return try await tokenResponse(identity, user: user, family: UUID(), generation: 0)
    }

    // Redeeming and revoking change the family's record in the log: the writer does it (a
    // reader answers 409 not-writer, and the router sends the request on to the writer).
    routes.add(.post, "/api/v1/auth/refresh", .anyone) { request, context in
        try admit(identity.throttle.admitAddress(context.clientAddress), "too many token requests from this address")
        guard let presented = await identity.verifier.verifyRefresh(try await refreshToken(request)) else {
            throw Problem.unauthorized("the refresh token is unknown, expired or revoked", error: "invalid_token", slug: "invalid-refresh-token")
        }
        let outcome = try await identityWrite {
            try await identity.store.redeemRefreshToken(
                family: presented.family, generation: presented.generation, user: presented.subject,
                credentialRevision: presented.credentialRevision
            )
        }
        switch outcome {
        case .rotated(let user, let next):
            // Roles come from the user as they are now, so a change takes effect at the next refresh.
            return try await tokenResponse(identity, user: user, family: presented.family, generation: next)
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
        // Revokes the sign-in if the token is one of ours, and says nothing either way.
        if let presented = await identity.verifier.verifyRefresh(try await refreshToken(request)) {
            try await identityWrite { try await identity.store.revokeFamily(presented.family, user: presented.subject) }
        }
        return Response(status: .noContent)
    }

    routes.add(.get, "/.well-known/jwks.json", .anyone) { _, _ in
        var response = try jsonResponse(identity.jwks)
        response.headers[.contentType] = "application/jwk-set+json"
        return response
    }
}

private func refreshToken(_ request: Request) async throws -> String {
    let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.authBodyBytesMax)
    var reader = FieldReader(body, allowed: ["refreshToken"])
    let token = reader.string("refreshToken") ?? ""
    try reader.check()
    return token
}

private func tokenResponse(_ identity: NodeIdentity, user: StoredUser, family: UUID, generation: Int64) async throws -> Response {
    let issuer = try await identity.tokenIssuer()
    let access = try await issuer.issue(subject: user.name.rawValue, roles: user.roles)
    let refresh = try await issuer.issueRefresh(RefreshClaims(
        subject: user.name.rawValue, family: family, generation: generation, credentialRevision: user.credentialRevision,
        expiresAt: Date().addingTimeInterval(TimeInterval(identity.configuration.refreshTokenLifetimeSeconds))
    ))
    return try jsonResponse(TokenBody(
        accessToken: access.token, expiresIn: identity.configuration.accessTokenLifetimeSeconds, refreshToken: refresh,
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
