/// Writes a JSON object whose members are added in ascending key order, with the same bytes
/// `JSONEncoder` gives with `.sortedKeys` and `.withoutEscapingSlashes` (a test holds the two
/// together), without its reflection, dictionaries and sorting: events are encoded on every write.
public struct JSONObjectWriter {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var lastKey: String?

    public init() {}

    public mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        start(key)
        Self.appendString(value, to: &bytes)
    }

    public mutating func field(_ key: String, _ value: Int64?) {
        guard let value else { return }
        start(key)
        bytes += Array(String(value).utf8)
    }

    public mutating func field(_ key: String, _ value: Bool?) {
        guard let value else { return }
        start(key)
        bytes += Array((value ? "true" : "false").utf8)
    }

    /// The finished object.
    public func finished() -> [UInt8] {
        bytes + [UInt8(ascii: "}")]
    }

    private mutating func start(_ key: String) {
        precondition(lastKey.map { $0 < key } ?? true, "JSON members must be added in ascending key order")
        if lastKey != nil { bytes.append(UInt8(ascii: ",")) }
        lastKey = key
        Self.appendString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A JSON string: quote, backslash and control characters escaped as JSONEncoder does
    /// (\b \f \n \r \t, else \u00XX); everything else, non-ASCII included, as UTF-8.
    public static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
