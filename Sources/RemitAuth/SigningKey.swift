import Crypto
import Foundation
import JWTKit

/// An ES256 key pair that signs access tokens. Its id is the RFC 7638 thumbprint of its public
/// half, so the same key has the same `kid` everywhere and ids never collide by accident.
public struct SigningKey: Sendable {
    public static let algorithm = "ES256"
    public let kid: String
    public let publicKey: P256.Signing.PublicKey
    /// Only the region that created the key holds this; other regions verify with the public half.
    public let privateKey: P256.Signing.PrivateKey?

    public static func generate() -> SigningKey {
        let privateKey = P256.Signing.PrivateKey()
        return SigningKey(publicKey: privateKey.publicKey, privateKey: privateKey)
    }

    public init(privateKeyPEM: String) throws {
        let privateKey = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        self.init(publicKey: privateKey.publicKey, privateKey: privateKey)
    }

    /// From a stored public JWK (`kty` EC, `crv` P-256, `x`, `y`).
    public init(publicJWK: PublicJWK) throws {
        guard publicJWK.kty == "EC", publicJWK.crv == "P-256", let x = Base64URL.decode(publicJWK.x),
            let y = Base64URL.decode(publicJWK.y), x.count == 32, y.count == 32
        else { throw SigningKeyError("not a P-256 public key") }
        self.init(publicKey: try P256.Signing.PublicKey(rawRepresentation: x + y), privateKey: nil)
        guard kid == publicJWK.kid else { throw SigningKeyError("the key id is not the key's thumbprint") }
    }

    private init(publicKey: P256.Signing.PublicKey, privateKey: P256.Signing.PrivateKey?) {
        self.publicKey = publicKey
        self.privateKey = privateKey
        let raw = Array(publicKey.rawRepresentation)
        let (x, y) = (Base64URL.encode(raw[0..<32]), Base64URL.encode(raw[32..<64]))
        // RFC 7638: the required members, in lexicographic order, without whitespace.
        let thumbprintInput = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        kid = Base64URL.encode(SHA256.hash(data: Array(thumbprintInput.utf8)))
    }

    public var privateKeyPEM: String? { privateKey?.pemRepresentation }

    public var publicJWK: PublicJWK {
        let raw = Array(publicKey.rawRepresentation)
        return PublicJWK(kid: kid, x: Base64URL.encode(raw[0..<32]), y: Base64URL.encode(raw[32..<64]))
    }

    /// The public half as JWTKit verifies with it.
    var verificationKey: ES256PublicKey {
        get throws { try ES256PublicKey(backing: publicKey) }
    }
}

/// A public key as `/.well-known/jwks.json` publishes it.
public struct PublicJWK: Codable, Sendable, Equatable {
    public var kty = "EC"
    public var crv = "P-256"
    public var alg = SigningKey.algorithm
    public var use = "sig"
    public var kid: String
    public var x: String
    public var y: String

    public init(kid: String, x: String, y: String) {
        self.kid = kid
        self.x = x
        self.y = y
    }
}

/// The document at `/.well-known/jwks.json`.
public struct JWKSDocument: Codable, Sendable, Equatable {
    public var keys: [PublicJWK]
    public init(keys: [PublicJWK]) { self.keys = keys }
}

public struct SigningKeyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
