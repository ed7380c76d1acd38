import Crypto
import Foundation

/// What a refresh token says: whose sign-in (`family`) it continues, which rotation of it
/// (`generation`: the sign-in's first token is 0), the user's credential revision it was
/// issued under, and when it expires. Signed by the region that issued it with its token key,
/// so every region can check one; only the writer redeems it, against the log's record of the
/// family (`RefreshTokenRotated`, `RefreshFamilyRevoked`).
public struct RefreshClaims: Sendable, Equatable {
    public var subject: String
    public var family: UUID
    public var generation: Int64
    public var credentialRevision: Int64
    public var expiresAt: Date

    public init(subject: String, family: UUID, generation: Int64, credentialRevision: Int64, expiresAt: Date) {
        self.subject = subject
        self.family = family
        self.generation = generation
        self.credentialRevision = credentialRevision
        self.expiresAt = expiresAt
    }

    /// The audience of refresh tokens: never the access tokens' own.
    static func audience(of accessAudience: String) -> String { accessAudience + "#refresh" }

    var claims: [String: ClaimValue] {
        let expires = Int64(expiresAt.timeIntervalSince1970.rounded(.down))
        return [
            "sub": .string(subject), "fam": .string(family.uuidString.lowercased()), "gen": .integer(generation),
            "cred": .integer(credentialRevision), "exp": .integer(expires), "iat": .integer(Int64(Date().timeIntervalSince1970)),
        ]
    }

    init?(_ set: ClaimSet) {
        guard case .string(let subject)? = set.claims["sub"], UserName(rawValue: subject) != nil,
            case .string(let familyText)? = set.claims["fam"], let family = UUID(uuidString: familyText),
            case .integer(let generation)? = set.claims["gen"], generation >= 0,
            case .integer(let credentialRevision)? = set.claims["cred"],
            let exp = set.claims["exp"]?.seconds
        else { return nil }
        self.init(subject: subject, family: family, generation: generation, credentialRevision: credentialRevision,
                  expiresAt: Date(timeIntervalSince1970: exp))
    }
}

/// Password hashes as they travel in the log: sealed (AES-GCM) with a key derived from the
/// deployment key, so that auditors, who read the log, are never handed anyone's hash. A node
/// without a deployment key (a lone node, a test) replicates nothing and seals nothing.
public struct CredentialSeal: Sendable {
    static let prefix = "seal1."
    private let key: SymmetricKey?

    public init(key: SymmetricKey?) {
        self.key = key
    }

    public func seal(_ passwordHash: String) -> String {
        guard let key, !passwordHash.hasPrefix(Self.prefix) else { return passwordHash }
        // AES-GCM with a random nonce; sealing can only fail for a malformed key, which a
        // SymmetricKey of 32 bytes is not.
        let box = try! AES.GCM.seal(Array(passwordHash.utf8), using: key)
        return Self.prefix + Base64URL.encode(box.combined!)
    }

    /// The bcrypt hash inside; nil when it was sealed with another key or is damaged.
    public func open(_ sealed: String) -> String? {
        guard sealed.hasPrefix(Self.prefix) else { return sealed.hasPrefix("$2") ? sealed : nil }
        guard let key, let bytes = Base64URL.decode(String(sealed.dropFirst(Self.prefix.count))),
            let box = try? AES.GCM.SealedBox(combined: bytes), let opened = try? AES.GCM.open(box, using: key)
        else { return nil }
        return String(decoding: opened, as: UTF8.self)
    }
}

/// Unpadded base64url (RFC 4648 §5), as JOSE uses it.
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}
