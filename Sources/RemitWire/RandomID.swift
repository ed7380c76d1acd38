import Foundation

/// Random identifiers from the system's generator in as few calls as they need. On Linux,
/// Foundation's `UUID()` opens, reads and closes `/dev/urandom` on every call, and drawing a
/// byte at a time asks the kernel once per byte: on the create path (a request id, a trace, the
/// remittance's id) the two were about 6 % of a node's CPU under `wrk` (perf, 2026-12-04).
public enum RandomID {
    /// A version 4 UUID (RFC 9562 §5.4): 122 random bits.
    public static func uuid() -> UUID {
        var generator = SystemRandomNumberGenerator()
        let random: (UInt64, UInt64) = (generator.next(), generator.next())
        let high = random.0 & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000  // version 4
        let low = random.1 & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  // variant 10
        let h = withUnsafeBytes(of: high.bigEndian, Array.init), l = withUnsafeBytes(of: low.bigEndian, Array.init)
        return UUID(uuid: (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]))
    }

    /// `bytes` random bytes as lowercase hex, never all zeros (a W3C trace or span id must not be).
    public static func hex(bytes: Int) -> String {
        precondition(bytes > 0, "at least one byte")
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        while true {
            var text: [UInt8] = []
            text.reserveCapacity(bytes * 2)
            var word: UInt64 = 0
            for index in 0..<bytes {
                if index % 8 == 0 { word = generator.next() }
                let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
            if text.contains(where: { $0 != UInt8(ascii: "0") }) { return String(decoding: text, as: UTF8.self) }
        }
    }
}
