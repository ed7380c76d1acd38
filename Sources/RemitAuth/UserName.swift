/// A local user's name: lowercase ASCII letters, digits, '.', '_' and '-', starting with a
/// letter, at most 64 characters. Names end up in logs, events and audit records, so they are
/// kept to characters that need no escaping anywhere.
public struct UserName: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public static let lengthMax = 64
    public let rawValue: String

    public init?(rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            bytes.count <= Self.lengthMax,
            bytes.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let rule = "a user name is 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter"
}
