import Foundation
import JWTKit

/// An issuer whose access tokens we accept: ourselves (every region's published keys) or a
/// bank's identity provider (its JWKS). Holds the keys by `kid` with the one algorithm each
/// key may be used with, so a token can not pick its own algorithm.
public struct TrustedIssuer: Sendable {
    public let issuer: String
    public let audience: String
    /// Where the token carries its roles (a dotted path into nested objects is allowed).
    public let rolesClaim: String
    /// True for our own tokens: their subject is a local user name.
    public let isLocal: Bool
    /// Seconds of clock difference tolerated on `exp` and `nbf`.
    public let leewaySeconds: Double
    let keys: JWTKeyCollection
    /// kid → the algorithm that key verifies.
    let algorithms: [String: String]

    public var keyIDs: [String] { algorithms.keys.sorted() }

    /// Our own issuer over the public halves of every region's signing keys.
    public static func local(issuer: String, audience: String, keys: [SigningKey]) async throws -> TrustedIssuer {
        let collection = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        for key in keys {
            await collection.add(ecdsa: try key.verificationKey, kid: JWKIdentifier(string: key.kid))
            algorithms[key.kid] = SigningKey.algorithm
        }
        // Without a default key, a token naming no kid or an unknown one finds no key at all.
        _ = await collection.clearDefault()
        return TrustedIssuer(issuer: issuer, audience: audience, rolesClaim: "roles", isLocal: true, leewaySeconds: 0,
                             keys: collection, algorithms: algorithms)
    }

    /// An external provider from its JWKS document. Symmetric keys (`kty: oct`) are refused:
    /// anyone holding one could mint tokens, and a published one would let everyone.
    public static func external(
        issuer: String, audience: String, rolesClaim: String, jwks: [UInt8], leewaySeconds: Double = 60
    ) async throws -> TrustedIssuer {
        let loose: LooseJWKS
        let parsed: JWKS
        do {
            loose = try JSONDecoder().decode(LooseJWKS.self, from: Data(jwks))
            parsed = try JSONDecoder().decode(JWKS.self, from: Data(jwks))
        } catch {
            throw SigningKeyError("the identity provider's JWKS is not a JWK set")
        }
        let collection = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        for (shape, jwk) in zip(loose.keys, parsed.keys) where shape.use == nil || shape.use == "sig" {
            guard let kid = shape.kid, !kid.isEmpty else { throw SigningKeyError("every key of the provider's JWKS needs a kid") }
            guard let algorithm = shape.algorithm else {
                throw SigningKeyError("key \(kid) of the provider's JWKS is not an asymmetric signing key")
            }
            try await collection.add(jwk: jwk)
            algorithms[kid] = algorithm
        }
        guard !algorithms.isEmpty else { throw SigningKeyError("the identity provider's JWKS has no signing keys") }
        _ = await collection.clearDefault()
        return TrustedIssuer(issuer: issuer, audience: audience, rolesClaim: rolesClaim, isLocal: false,
                             leewaySeconds: leewaySeconds, keys: collection, algorithms: algorithms)
    }
}

/// The members of a JWK that decide which algorithm it may verify.
private struct LooseJWKS: Decodable {
    struct Key: Decodable {
        let kty: String
        let kid: String?
        let alg: String?
        let crv: String?
        let use: String?

        /// The key's declared algorithm if it fits the key's type, else the one its type implies.
        var algorithm: String? {
            let implied: Set<String>
            switch (kty, crv) {
            case ("EC", "P-256"): implied = ["ES256"]
            case ("EC", "P-384"): implied = ["ES384"]
            case ("EC", "P-521"): implied = ["ES512"]
            case ("RSA", _): implied = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
            case ("OKP", "Ed25519"): implied = ["EdDSA"]
            default: return nil
            }
            if let alg { return implied.contains(alg) ? alg : nil }
            return implied.count == 1 ? implied.first : "RS256"
        }
    }
    let keys: [Key]
}
