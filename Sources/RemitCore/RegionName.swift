/// A region's name: lowercase letters, digits and '-', starting with a letter, at most 32
/// characters, so it is safe in URLs, file names, log lines and metric labels alike.
public struct RegionName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public static let lengthMax = 32

    public let rawValue: String

    public init?(rawValue: String) {
        guard let first = rawValue.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            rawValue.utf8.count <= Self.lengthMax,
            rawValue.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            })
        else { return nil }
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let name = RegionName(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a region name: \(text)"))
        }
        self = name
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
