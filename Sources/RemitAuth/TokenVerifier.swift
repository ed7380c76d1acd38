import Foundation
import JWTKit
import RemitCore
import Synchronization

/// Why an access token was not accepted. The description goes into `WWW-Authenticate`'s
/// `error_description`; it names the rule broken, never the token.
public enum TokenRejection: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed
    case algorithmRefused
    case untrustedIssuer
    case unknownKey
    case badSignature
    case expired
    case notYetValid
    case wrongAudience
    case badSubject

    public var description: String {
        switch self {
        case .malformed: "the token is not a compact JWS"
        case .algorithmRefused: "the token's algorithm is not accepted"
        case .untrustedIssuer: "the token's issuer is not trusted"
        case .unknownKey: "the token's kid names no key of its issuer"
        case .badSignature: "the token's signature does not verify"
        case .expired: "the token has expired"
        case .notYetValid: "the token is not valid yet"
        case .wrongAudience: "the token is not meant for this service"
        case .badSubject: "the token's subject is missing or invalid"
        }
    }
}

/// Verifies bearer tokens against the trusted issuers, caching verified ones until they expire.
public final class TokenVerifier: Sendable {
    /// Only these may sign a token we accept: never `none`, never an HMAC whose "secret" could
    /// be a published public key.
    static let asymmetricAlgorithms: Set<String> = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]

    private let issuers = Mutex<[String: TrustedIssuer]>([:])
    private let cache: Mutex<TokenCache>
    /// Asked to load keys again when one of our own tokens names a kid we do not know yet (a
    /// rotation here or in another region, seen before the periodic reload); it decides how
    /// often that may really happen.
    private let reloadKeys = Mutex<(@Sendable () async -> Void)?>(nil)

    public init(issuers: [TrustedIssuer] = [], cacheEntriesMax: Int = Limits.tokenCacheEntriesMax) {
        cache = Mutex(TokenCache(entriesMax: cacheEntriesMax))
        for issuer in issuers { trust(issuer) }
    }

    /// Adds an issuer or replaces its keys (after a rotation).
    public func trust(_ issuer: TrustedIssuer) {
        issuers.withLock { $0[issuer.issuer] = issuer }
    }

    public func trusted(_ issuer: String) -> TrustedIssuer? { issuers.withLock { $0[issuer] } }

    public func onUnknownLocalKey(_ reload: @escaping @Sendable () async -> Void) {
        reloadKeys.withLock { $0 = reload }
    }

    public func verify(_ token: String, now: Date = Date()) async -> Result<Principal, TokenRejection> {
        guard token.utf8.count <= Limits.accessTokenBytesMax else { return .failure(.malformed) }
        if let principal = cache.withLock({ $0.lookup(token, now: now) }) { return .success(principal) }
        let claims: ClaimSet, issuer: TrustedIssuer
        switch await signedClaims(token) {
        case .success(let verified): (claims, issuer) = verified
        case .failure(let rejection): return .failure(rejection)
        }
        let principal: Principal
        switch Self.check(claims, issuer: issuer, now: now) {
        case .success(let checked): principal = checked
        case .failure(let rejection): return .failure(rejection)
        }
        cache.withLock { $0.insert(token, principal, now: now) }
        return .success(principal)
    }

    /// One of our own refresh tokens, its signature, expiry and audience checked; nil for
    /// anything else (an access token among them: its audience differs).
    public func verifyRefresh(_ token: String, now: Date = Date()) async -> RefreshClaims? {
        guard token.utf8.count <= Limits.accessTokenBytesMax, case .success(let (claims, issuer)) = await signedClaims(token),
            issuer.isLocal, let exp = claims.claims["exp"]?.seconds, exp > now.timeIntervalSince1970,
            claims.claims["aud"]?.strings == [RefreshClaims.audience(of: issuer.audience)]
        else { return nil }
        return RefreshClaims(claims)
    }

    /// The claims of a token whose header is acceptable and whose signature verifies with a
    /// key of the issuer it names.
    private func signedClaims(_ token: String) async -> Result<(ClaimSet, TrustedIssuer), TokenRejection> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
            let payloadBytes = Base64URL.decode(String(parts[1])),
            let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)),
            let unverified = try? JSONDecoder().decode(ClaimSet.self, from: Data(payloadBytes))
        else { return .failure(.malformed) }
        // A critical extension we do not understand must make the token invalid (RFC 7515 §4.1.11).
        guard header.crit == nil, Self.asymmetricAlgorithms.contains(header.alg) else { return .failure(.algorithmRefused) }
        guard case .string(let issuerName)? = unverified.claims["iss"] else { return .failure(.untrustedIssuer) }
        guard let kid = header.kid else { return .failure(.unknownKey) }
        var issuer = trusted(issuerName)
        // Keys not loaded yet (a node just started) or a kid of ours not seen yet (a rotation, a
        // peer's new key): load them once before refusing.
        if issuer.map({ $0.isLocal && $0.algorithms[kid] == nil }) ?? true, let reload = reloadKeys.withLock({ $0 }) {
            await reload()
            issuer = trusted(issuerName)
        }
        guard let issuer else { return .failure(.untrustedIssuer) }
        guard let algorithm = issuer.algorithms[kid] else { return .failure(.unknownKey) }
        guard algorithm == header.alg else { return .failure(.algorithmRefused) }
        // Our own tokens have one text each (low-S); an identity provider's ES256 signatures are
        // taken in either form, as its library made them.
        guard !issuer.isLocal || header.alg != SigningKey.algorithm || LowS.isLowS(token) else { return .failure(.badSignature) }
        do {
            return .success((try await issuer.keys.verify(token, as: ClaimSet.self), issuer))
        } catch {
            return .failure(.badSignature)
        }
    }

    /// Time, audience and subject rules, after the signature verified.
    static func check(_ claims: ClaimSet, issuer: TrustedIssuer, now: Date) -> Result<Principal, TokenRejection> {
        let nowSeconds = now.timeIntervalSince1970
        guard let exp = claims.claims["exp"]?.seconds else { return .failure(.expired) }
        guard exp + issuer.leewaySeconds > nowSeconds else { return .failure(.expired) }
        if let nbf = claims.claims["nbf"] {
            guard let seconds = nbf.seconds, seconds - issuer.leewaySeconds <= nowSeconds else { return .failure(.notYetValid) }
        }
        guard let audiences = claims.claims["aud"]?.strings, audiences.contains(issuer.audience) else {
            return .failure(.wrongAudience)
        }
        guard case .string(let subject)? = claims.claims["sub"], !subject.isEmpty, subject.utf8.count <= Limits.tokenSubjectBytesMax,
            subject.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !issuer.isLocal || UserName(rawValue: subject) != nil
        else { return .failure(.badSubject) }
        // Names that are not our roles grant nothing; they are not an error, providers carry many.
        let roles = Set((claims.value(at: issuer.rolesClaim)?.strings ?? []).compactMap(Role.init(rawValue:)))
        return .success(Principal(
            subject: subject, issuer: issuer.issuer, roles: roles,
            expiresAt: Date(timeIntervalSince1970: exp + issuer.leewaySeconds), isLocal: issuer.isLocal
        ))
    }

    private struct Header: Decodable {
        let alg: String
        let kid: String?
        let crit: [String]?
    }
}
