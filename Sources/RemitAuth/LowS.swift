/// ECDSA signatures over P-256 in their canonical, low-S form. An ECDSA signature (r, s) has a
/// twin (r, n − s) that verifies just as well, so anyone holding a token can make a second one,
/// different in text, with the same claims. Our own tokens are issued with s ≤ n/2 and only
/// such are accepted, so each of our tokens has exactly one text.
enum LowS {
    /// The order n of P-256's group, big-endian.
    static let order: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ]
    /// ⌊n/2⌋, big-endian.
    static let halfOrder: [UInt8] = [
        0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
    ]

    /// Whether a compact ES256 JWS carries a low-S signature (64 bytes, r then s).
    static func isLowS(_ token: some StringProtocol) -> Bool {
        guard let signature = signature(of: token) else { return false }
        return !halfOrder.lexicographicallyPrecedes(signature.suffix(32))
    }

    /// The same token with s replaced by n − s when s is high: it verifies as before.
    static func canonical(_ token: String) -> String {
        isLowS(token) ? token : twin(token)
    }

    /// The token with s replaced by n − s: the other signature of the same claims.
    static func twin(_ token: String) -> String {
        guard let signature = signature(of: token), let dot = token.lastIndex(of: ".") else { return token }
        let s = Array(signature.suffix(32))
        var difference = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            var digit = Int(order[index]) - Int(s[index]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            difference[index] = UInt8(digit)
        }
        precondition(borrow == 0, "s is below the group order")
        return token[...dot] + Base64URL.encode(Array(signature.prefix(32)) + difference)
    }

    private static func signature(of token: some StringProtocol) -> [UInt8]? {
        guard let dot = token.lastIndex(of: "."), let bytes = Base64URL.decode(String(token[token.index(after: dot)...])),
            bytes.count == 64
        else { return nil }
        return bytes
    }
}
