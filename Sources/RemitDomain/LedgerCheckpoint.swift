import Crypto
import Foundation

/// A writer region's signed statement that its log, at `position` in `epoch`, ended with the
/// event whose hash is `hash`. Written into the log itself (the checkpoint stream) right after
/// that event, so it replicates like any other; an auditor who keeps one can later prove that
/// the log still extends it, which a database superuser who rewrites history and recomputes
/// every hash can not fake without the region's private key.
public struct LedgerCheckpoint: Codable, Sendable, Equatable {
    public var region: String
    public var epoch: Int64
    public var position: Int64
    /// The event's hash, 64 lowercase hex digits.
    public var hash: String
    /// The writer's database clock when it signed.
    public var atMicroseconds: Int64
    /// The signing key's id (RFC 7638 thumbprint), as `/.well-known/jwks.json` lists it.
    public var kid: String
    /// ECDSA P-256 with SHA-256 over `signingInput`: r and s, 32 bytes each, as 128 hex digits.
    public var signature: String

    /// Marks the signed bytes as a checkpoint's: no JWS signing input holds a line break, so a
    /// checkpoint's signature can never pass for a token's or the other way round.
    public static let signingPrefix = "remit-checkpoint-v1"

    /// What is signed: the prefix and the fields, one per line, in this order, numbers in decimal.
    public static func signingInput(region: String, epoch: Int64, position: Int64, hash: String, atMicroseconds: Int64) -> [UInt8] {
        Array("\(signingPrefix)\n\(region)\n\(epoch)\n\(position)\n\(hash)\n\(atMicroseconds)".utf8)
    }

    public var signingInput: [UInt8] {
        Self.signingInput(region: region, epoch: epoch, position: position, hash: hash, atMicroseconds: atMicroseconds)
    }

    /// Signs the statement that the log at `head` ends with `head.hash`.
    public static func sign(
        region: String, head: LogHead, atMicroseconds: Int64, kid: String, with key: P256.Signing.PrivateKey
    ) throws -> LedgerCheckpoint {
        let hash = head.hash.hex
        let input = signingInput(region: region, epoch: head.epoch, position: head.position, hash: hash, atMicroseconds: atMicroseconds)
        let signature = try key.signature(for: input)
        return LedgerCheckpoint(
            region: region, epoch: head.epoch, position: head.position, hash: hash, atMicroseconds: atMicroseconds, kid: kid,
            signature: Array(signature.rawRepresentation).hex
        )
    }

    /// Whether `key` signed this statement, exactly as it reads.
    public func isSigned(by key: P256.Signing.PublicKey) -> Bool {
        key.isValidSignature(hex: signature, for: signingInput)
    }

    public init(region: String, epoch: Int64, position: Int64, hash: String, atMicroseconds: Int64, kid: String, signature: String) {
        self.region = region
        self.epoch = epoch
        self.position = position
        self.hash = hash
        self.atMicroseconds = atMicroseconds
        self.kid = kid
        self.signature = signature
    }
}

extension P256.Signing.PublicKey {
    /// Whether `signature` (r and s, 32 bytes each, as 128 hex digits: how checkpoints and
    /// export manifests carry theirs) is this key's ECDSA signature over `bytes`.
    public func isValidSignature(hex signature: String?, for bytes: [UInt8]) -> Bool {
        guard let signature, signature.count == 128, let raw = [UInt8](hex: signature),
            let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: raw)
        else { return false }
        return isValidSignature(parsed, for: bytes)
    }
}
