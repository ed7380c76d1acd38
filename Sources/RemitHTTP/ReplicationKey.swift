import Crypto
import Foundation
import HTTPTypes
import RemitDomain

/// The per-deployment secret that authenticates replication requests: each pull carries an
/// HMAC-SHA256 over its method, path, region and time. A user's token is never accepted there,
/// and this key is never accepted on the API.
public struct ReplicationKey: Sendable {
    static let regionHeader = HTTPField.Name("X-Remit-Replication-Region")!
    static let timestampHeader = HTTPField.Name("X-Remit-Replication-Timestamp")!
    static let signatureHeader = HTTPField.Name("X-Remit-Replication-Signature")!

    private let key: SymmetricKey

    /// From its hex form (64 hex digits, 32 bytes); nil otherwise.
    public init?(hex: String) {
        let text = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        key = SymmetricKey(data: bytes)
    }

    /// A new random key's hex form.
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.hex
    }

    func signature(method: String, pathAndQuery: String, region: String, timestamp: Int64) -> [UInt8] {
        let message = "\(method) \(pathAndQuery)\n\(region)\n\(timestamp)"
        return Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key))
    }

    /// The headers a pull from `region` carries.
    public func headers(method: String, pathAndQuery: String, region: String, now: Date = Date()) -> [(String, String)] {
        let timestamp = Int64(now.timeIntervalSince1970)
        let signature = signature(method: method, pathAndQuery: pathAndQuery, region: region, timestamp: timestamp)
        return [
            (Self.regionHeader.rawName, region), (Self.timestampHeader.rawName, String(timestamp)),
            (Self.signatureHeader.rawName, signature.hex),
        ]
    }

    /// Checks a request's signature in constant time, and that its time is near ours.
    func isValid(method: String, pathAndQuery: String, region: String, timestamp: Int64, signatureHex: String, now: Date, skewSecondsMax: Int64) -> Bool {
        guard abs(Int64(now.timeIntervalSince1970) - timestamp) <= skewSecondsMax, signatureHex.utf8.count == 64,
            let presented = ReplicationKey(hex: signatureHex)
        else { return false }
        let message = "\(method) \(pathAndQuery)\n\(region)\n\(timestamp)"
        return presented.key.withUnsafeBytes { code in
            HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Array(message.utf8), using: key)
        }
    }
}
