import Foundation
import JWTKit

/// Signs our own access tokens with the region's current signing key.
public struct TokenIssuer: Sendable {
    public struct Issued: Sendable {
        public let token: String
        public let expiresAt: Date
    }

    public let issuer: String
    public let audience: String
    public let lifetimeSeconds: Int64
    public let kid: String
    private let keys: JWTKeyCollection

    public init(key: SigningKey, issuer: String, audience: String, lifetimeSeconds: Int64) async throws {
        guard let privateKey = key.privateKey else { throw SigningKeyError("a token issuer needs the key's private half") }
        precondition(lifetimeSeconds > 0)
        self.issuer = issuer
        self.audience = audience
        self.lifetimeSeconds = lifetimeSeconds
        self.kid = key.kid
        keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid))
    }

    public func issue(subject: String, roles: Set<Role>, now: Date = Date()) async throws -> Issued {
        // Whole seconds, as JWT times are; the expiry is what the token says, not a fraction later.
        let issuedAt = now.timeIntervalSince1970.rounded(.down)
        let expiresAt = issuedAt + Double(lifetimeSeconds)
        let claims = ClaimSet([
            "iss": .string(issuer), "aud": .string(audience), "sub": .string(subject),
            "iat": .integer(Int64(issuedAt)), "exp": .integer(Int64(expiresAt)),
            "jti": .string(UUID().uuidString.lowercased()),
            "roles": .array(roles.sorted().map { .string($0.rawValue) }),
        ])
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: JWTHeader(fields: ["typ": .string("JWT")]))
        return Issued(token: LowS.canonical(token), expiresAt: Date(timeIntervalSince1970: expiresAt))
    }

    /// A refresh token: signed like an access token, so any region can check it, but for
    /// another audience, so neither can stand in for the other.
    public func issueRefresh(_ refresh: RefreshClaims) async throws -> String {
        var claims = refresh.claims
        claims["iss"] = .string(issuer)
        claims["aud"] = .string(RefreshClaims.audience(of: audience))
        claims["jti"] = .string(UUID().uuidString.lowercased())
        return LowS.canonical(try await keys.sign(ClaimSet(claims), kid: JWKIdentifier(string: kid), header: JWTHeader(fields: ["typ": .string("JWT")])))
    }
}
