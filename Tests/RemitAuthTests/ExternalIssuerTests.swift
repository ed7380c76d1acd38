import Crypto
import Foundation
import RemitAuth
import Testing

/// A bank's own identity provider, played by a key pair and JWKS the test makes itself.
@Suite struct ExternalIssuerTests {
    static let issuer = "https://idp.bank.example"
    static let audience = "remit"

    static func provider() async throws -> (key: P256.Signing.PrivateKey, verifier: TokenVerifier) {
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        let jwks: [String: Any] = ["keys": [
            ["kty": "EC", "crv": "P-256", "kid": "bank-1", "alg": "ES256", "use": "sig", "x": Base64URL.encode(raw[0..<32]), "y": Base64URL.encode(raw[32..<64])],
        ]]
        let trusted = try await TrustedIssuer.external(
            issuer: issuer, audience: audience, rolesClaim: "realm_access.roles",
            jwks: Array(try JSONSerialization.data(withJSONObject: jwks))
        )
        return (key, TokenVerifier(issuers: [trusted]))
    }

    static func token(_ key: P256.Signing.PrivateKey, iss: String = issuer, aud: Any = [audience, "other"], kid: String = "bank-1") throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        return try TokenTests.forge(
            header: ["alg": "ES256", "kid": kid, "typ": "JWT"],
            claims: ["iss": iss, "aud": aud, "sub": "employee-42", "exp": now + 300, "iat": now, "realm_access": ["roles": ["auditor", "offline_access"]]]
        ) { Array(try key.signature(for: $0).rawRepresentation) }
    }

    @Test func providerTokensAreAcceptedWithTheirRoles() async throws {
        let (key, verifier) = try await Self.provider()
        let principal = try await verifier.verify(try Self.token(key)).get()
        #expect(principal.subject == "employee-42")
        #expect(principal.roles == [.auditor])
        #expect(!principal.isLocal)
        #expect(principal.actor == "employee-42@https://idp.bank.example")
    }

    @Test func wrongIssuerAudienceOrKeyIsRejected() async throws {
        let (key, verifier) = try await Self.provider()
        #expect(await verifier.verify(try Self.token(key, iss: "https://evil.example")) == .failure(.untrustedIssuer))
        #expect(await verifier.verify(try Self.token(key, aud: "someone-else")) == .failure(.wrongAudience))
        #expect(await verifier.verify(try Self.token(key, kid: "bank-2")) == .failure(.unknownKey))
        #expect(await verifier.verify(try Self.token(P256.Signing.PrivateKey())) == .failure(.badSignature))
    }

    @Test func symmetricOrKidlessKeysAreRefusedInTheJWKS() async throws {
        let oct = #"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}"#
        await #expect(throws: SigningKeyError.self) {
            try await TrustedIssuer.external(issuer: Self.issuer, audience: Self.audience, rolesClaim: "roles", jwks: Array(oct.utf8))
        }
        await #expect(throws: SigningKeyError.self) {
            try await TrustedIssuer.external(issuer: Self.issuer, audience: Self.audience, rolesClaim: "roles", jwks: Array("[]".utf8))
        }
    }
}
