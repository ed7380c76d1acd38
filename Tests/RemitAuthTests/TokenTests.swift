import Crypto
import Foundation
import JWTKit
@testable import RemitAuth
import Testing

@Suite struct TokenTests {
    static let issuerName = "urn:remit"
    static let audience = "remit-api"

    struct Setup {
        let key: SigningKey
        let issuer: TokenIssuer
        let verifier: TokenVerifier
    }

    static func setup(lifetimeSeconds: Int64 = 900) async throws -> Setup {
        let key = SigningKey.generate()
        let issuer = try await TokenIssuer(key: key, issuer: issuerName, audience: audience, lifetimeSeconds: lifetimeSeconds)
        let verifier = TokenVerifier(issuers: [try await TrustedIssuer.local(issuer: issuerName, audience: audience, keys: [key])])
        return Setup(key: key, issuer: issuer, verifier: verifier)
    }

    /// A token with any header and claims, signed by `sign` over `header.payload`; an ES256
    /// signature in its low-S form, as ours are issued (`LowSTests` tries the other).
    static func forge(header: [String: Any], claims: [String: Any], sign: ([UInt8]) throws -> [UInt8]) rethrows -> String {
        let encode = { (object: [String: Any]) in Base64URL.encode(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) }
        let input = encode(header) + "." + encode(claims)
        let token = input + "." + Base64URL.encode(try sign(Array(input.utf8)))
        return header["alg"] as? String == "ES256" ? LowS.canonical(token) : token
    }

    static func claims(now: Date = Date(), exp: TimeInterval = 600, sub: String = "alice", aud: String = audience, iss: String = issuerName) -> [String: Any] {
        ["iss": iss, "aud": aud, "sub": sub, "exp": Int(now.timeIntervalSince1970 + exp), "iat": Int(now.timeIntervalSince1970), "jti": UUID().uuidString, "roles": ["clerk"]]
    }

    static func es256(_ key: SigningKey) -> ([UInt8]) throws -> [UInt8] {
        { Array(try key.privateKey!.signature(for: $0).rawRepresentation) }
    }

    @Test func issuedTokensVerifyWithTheirRolesAndExpiry() async throws {
        let setup = try await Self.setup()
        let now = Date()
        let issued = try await setup.issuer.issue(subject: "alice", roles: [.clerk, .auditor], now: now)
        let principal = try await setup.verifier.verify(issued.token, now: now).get()
        #expect(principal.subject == "alice")
        #expect(principal.roles == [.clerk, .auditor])
        #expect(principal.isLocal)
        #expect(principal.actor == "alice")
        #expect(abs(principal.expiresAt.timeIntervalSince(now) - 900) < 1.5)
        #expect(issued.token.split(separator: ".").count == 3)
    }

    @Test func expiredTokensAreRejectedEvenWhenCached() async throws {
        let setup = try await Self.setup(lifetimeSeconds: 60)
        let now = Date()
        let issued = try await setup.issuer.issue(subject: "alice", roles: [.clerk], now: now)
        #expect(try await setup.verifier.verify(issued.token, now: now).get().subject == "alice")
        // The cache holds it now; past its expiry it must not answer from there.
        #expect(await setup.verifier.verify(issued.token, now: now.addingTimeInterval(61)) == .failure(.expired))
        let old = try Self.forge(header: ["alg": "ES256", "kid": setup.key.kid], claims: Self.claims(exp: -1), sign: Self.es256(setup.key))
        #expect(await setup.verifier.verify(old) == .failure(.expired))
    }

    @Test func tamperedTokensAreRejected() async throws {
        let setup = try await Self.setup()
        let token = try await setup.issuer.issue(subject: "alice", roles: [.clerk]).token
        var parts = token.split(separator: ".").map(String.init)
        var claims = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[1])!)) as! [String: Any]
        claims["roles"] = ["clerk", "admin"]
        parts[1] = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims))
        #expect(await setup.verifier.verify(parts.joined(separator: ".")) == .failure(.badSignature))
        // A flipped signature byte.
        var signature = Base64URL.decode(token.split(separator: ".")[2].description)!
        signature[5] ^= 1
        let flipped = token.split(separator: ".")[0...1].joined(separator: ".") + "." + Base64URL.encode(signature)
        #expect(await setup.verifier.verify(flipped) == .failure(.badSignature))
        #expect(await setup.verifier.verify("not.a-token") == .failure(.malformed))
        #expect(await setup.verifier.verify("") == .failure(.malformed))
    }

    @Test func unknownOrMissingKidIsRejectedEvenWithAValidSignature() async throws {
        let setup = try await Self.setup()
        let signed = Self.es256(setup.key)
        let wrongKid = try Self.forge(header: ["alg": "ES256", "kid": "someone-elses"], claims: Self.claims(), sign: signed)
        #expect(await setup.verifier.verify(wrongKid) == .failure(.unknownKey))
        let noKid = try Self.forge(header: ["alg": "ES256"], claims: Self.claims(), sign: signed)
        #expect(await setup.verifier.verify(noKid) == .failure(.unknownKey))
        // A key we do not trust, naming our kid.
        let stranger = SigningKey.generate()
        let impostor = try Self.forge(header: ["alg": "ES256", "kid": setup.key.kid], claims: Self.claims(), sign: Self.es256(stranger))
        #expect(await setup.verifier.verify(impostor) == .failure(.badSignature))
    }

    @Test func algNoneAndHMACWithThePublicKeyAreRejected() async throws {
        let setup = try await Self.setup()
        let none = Self.forge(header: ["alg": "none", "kid": setup.key.kid], claims: Self.claims()) { _ in [] }
        #expect(await setup.verifier.verify(none) == .failure(.algorithmRefused))
        // The classic confusion: HS256 keyed with the published public key.
        for secret in [Array(setup.key.publicKey.pemRepresentation.utf8), Array(setup.key.publicKey.x963Representation)] {
            let hs256 = Self.forge(header: ["alg": "HS256", "kid": setup.key.kid], claims: Self.claims()) {
                Array(HMAC<SHA256>.authenticationCode(for: $0, using: SymmetricKey(data: secret)))
            }
            #expect(await setup.verifier.verify(hs256) == .failure(.algorithmRefused))
        }
        // ES384 named for an ES256 key.
        let es384 = try Self.forge(header: ["alg": "ES384", "kid": setup.key.kid], claims: Self.claims(), sign: Self.es256(setup.key))
        #expect(await setup.verifier.verify(es384) == .failure(.algorithmRefused))
        let critical = try Self.forge(header: ["alg": "ES256", "kid": setup.key.kid, "crit": ["exp"]], claims: Self.claims(), sign: Self.es256(setup.key))
        #expect(await setup.verifier.verify(critical) == .failure(.algorithmRefused))
    }

    @Test func wrongIssuerAudienceOrSubjectIsRejected() async throws {
        let setup = try await Self.setup()
        let signed = Self.es256(setup.key)
        let header: [String: Any] = ["alg": "ES256", "kid": setup.key.kid]
        #expect(await setup.verifier.verify(try Self.forge(header: header, claims: Self.claims(iss: "urn:other"), sign: signed)) == .failure(.untrustedIssuer))
        #expect(await setup.verifier.verify(try Self.forge(header: header, claims: Self.claims(aud: "other-api"), sign: signed)) == .failure(.wrongAudience))
        #expect(await setup.verifier.verify(try Self.forge(header: header, claims: Self.claims(sub: "Not A User"), sign: signed)) == .failure(.badSubject))
        var noExpiry = Self.claims()
        noExpiry["exp"] = nil
        #expect(await setup.verifier.verify(try Self.forge(header: header, claims: noExpiry, sign: signed)) == .failure(.expired))
        var later = Self.claims()
        later["nbf"] = Int(Date().timeIntervalSince1970) + 300
        #expect(await setup.verifier.verify(try Self.forge(header: header, claims: later, sign: signed)) == .failure(.notYetValid))
    }

    @Test func rotatedKeysKeepVerifyingTokensOfBothKeys() async throws {
        let first = SigningKey.generate(), second = SigningKey.generate()
        let verifier = TokenVerifier(issuers: [try await TrustedIssuer.local(issuer: Self.issuerName, audience: Self.audience, keys: [first])])
        let old = try await TokenIssuer(key: first, issuer: Self.issuerName, audience: Self.audience, lifetimeSeconds: 900).issue(subject: "a", roles: [.clerk])
        let new = try await TokenIssuer(key: second, issuer: Self.issuerName, audience: Self.audience, lifetimeSeconds: 900).issue(subject: "b", roles: [.clerk])
        #expect(await verifier.verify(new.token) == .failure(.unknownKey))
        verifier.trust(try await TrustedIssuer.local(issuer: Self.issuerName, audience: Self.audience, keys: [first, second]))
        #expect(try await verifier.verify(old.token).get().subject == "a")
        #expect(try await verifier.verify(new.token).get().subject == "b")
    }

    @Test func anUnknownLocalKidAsksForTheKeysOnceBeforeRefusing() async throws {
        let first = SigningKey.generate(), second = SigningKey.generate()
        let verifier = TokenVerifier(issuers: [try await TrustedIssuer.local(issuer: Self.issuerName, audience: Self.audience, keys: [first])])
        let reloaded = try await TrustedIssuer.local(issuer: Self.issuerName, audience: Self.audience, keys: [first, second])
        verifier.onUnknownLocalKey { verifier.trust(reloaded) }
        let token = try await TokenIssuer(key: second, issuer: Self.issuerName, audience: Self.audience, lifetimeSeconds: 900).issue(subject: "b", roles: [.clerk])
        #expect(try await verifier.verify(token.token).get().subject == "b")
        let stranger = try Self.forge(header: ["alg": "ES256", "kid": "made-up"], claims: Self.claims(), sign: Self.es256(SigningKey.generate()))
        #expect(await verifier.verify(stranger) == .failure(.unknownKey))
    }

    @Test func signingKeysRoundTripThroughTheirStoredForms() throws {
        let key = SigningKey.generate()
        let restored = try SigningKey(privateKeyPEM: key.privateKeyPEM!)
        #expect(restored.kid == key.kid)
        let published = try SigningKey(publicJWK: key.publicJWK)
        #expect(published.kid == key.kid)
        #expect(published.privateKey == nil)
        var forged = key.publicJWK
        forged.kid = "chosen-by-attacker"
        #expect(throws: SigningKeyError.self) { try SigningKey(publicJWK: forged) }
    }
}
