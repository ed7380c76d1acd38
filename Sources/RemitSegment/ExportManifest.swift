import Crypto
import Foundation
import RemitDomain

/// What `remit export` writes beside its segments (`manifest.json`): the range, the hashes
/// at both ends, each segment file with its SHA-256, and the exporting region's signature over
/// all of it. docs/export-format.md says how to check it by hand.
public struct ExportManifest: Codable, Sendable, Equatable {
    public static let formatName = "remit-export-v1"
    public static let fileName = "manifest.json"
    /// The public keys the log published, as a JWKS, for an auditor who brings none.
    public static let keysFileName = "jwks.json"

    public struct SegmentFile: Codable, Sendable, Equatable {
        public var file: String
        public var firstPosition: Int64
        public var lastPosition: Int64
        public var bytes: Int64
        /// SHA-256 of the whole file, lowercase hex.
        public var sha256: String

        public init(file: String, firstPosition: Int64, lastPosition: Int64, bytes: Int64, sha256: String) {
            self.file = file
            self.firstPosition = firstPosition
            self.lastPosition = lastPosition
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public var format = Self.formatName
    public var region: String
    public var fromPosition: Int64
    public var throughPosition: Int64
    /// The hash of the event before `fromPosition` (64 zeros from position 1), and of the last.
    public var previousHash: String
    public var headHash: String
    public var exportedAtMicroseconds: Int64
    public var segments: [SegmentFile]
    /// The exporting region's key and its signature over `signingInput` (nil: no key to sign with).
    public var kid: String?
    public var signature: String?

    public init(
        region: String, fromPosition: Int64, throughPosition: Int64, previousHash: String, headHash: String,
        exportedAtMicroseconds: Int64, segments: [SegmentFile]
    ) {
        self.region = region
        self.fromPosition = fromPosition
        self.throughPosition = throughPosition
        self.previousHash = previousHash
        self.headHash = headHash
        self.exportedAtMicroseconds = exportedAtMicroseconds
        self.segments = segments
    }

    /// What is signed: like a checkpoint's statement, one field per line, then one line per
    /// segment file ("name sha256"), so no file can be swapped, dropped or added unseen.
    public var signingInput: [UInt8] {
        var lines = [format, region, String(fromPosition), String(throughPosition), previousHash, headHash, String(exportedAtMicroseconds)]
        lines += segments.map { "\($0.file) \($0.sha256)" }
        return Array(lines.joined(separator: "\n").utf8)
    }

    public mutating func sign(kid: String, with key: P256.Signing.PrivateKey) throws {
        self.kid = kid
        signature = Array(try key.signature(for: signingInput).rawRepresentation).hex
    }

    public func isSigned(by key: P256.Signing.PublicKey) -> Bool {
        key.isValidSignature(hex: signature, for: signingInput)
    }
}
