import Crypto
import Foundation

/// Refresh tokens: 32 random bytes, handed out once and stored only as their SHA-256, so a
/// copy of the database can not be used to sign in.
public enum RefreshToken {
    static let prefix = "rt_"
    static let randomBytes = 32

    public static func generate() -> (token: String, hash: [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = prefix + Base64URL.encode(bytes)
        return (token, hash(token)!)
    }

    /// The stored form of a token; nil when the text can not be one of ours.
    public static func hash(_ token: String) -> [UInt8]? {
        guard token.hasPrefix(prefix), token.utf8.count == prefix.utf8.count + 43,
            let bytes = Base64URL.decode(String(token.dropFirst(prefix.count))), bytes.count == randomBytes
        else { return nil }
        return Array(SHA256.hash(data: Array(token.utf8)))
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
