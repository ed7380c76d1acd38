/// A one-dimensional array parameter (`text[]`, `uuid[]`, `int8[]`), so one query can take a
/// set of values (`WHERE id = ANY($1)`) instead of SQL built from them.
public struct PostgresArray<Element: PostgresEncodable>: PostgresEncodable {
    public var elements: [Element]

    public init(_ elements: [Element]) {
        self.elements = elements
    }

    public static var postgresType: PostgresType {
        switch Element.postgresType {
        case .text: PostgresType(rawValue: 1009)
        case .uuid: PostgresType(rawValue: 2951)
        case .int8: PostgresType(rawValue: 1016)
        case .int4: PostgresType(rawValue: 1007)
        case .bytea: PostgresType(rawValue: 1001)
        default: preconditionFailure("no array type for \(Element.postgresType)")
        }
    }

    /// Binary array format: dimensions, has-nulls flag, element type, then per dimension its
    /// length and lower bound, then each element as a length (-1 for NULL) and its bytes.
    public func postgresBytes() -> [UInt8]? {
        // An empty array has no dimensions at all.
        if elements.isEmpty { return bigEndianBytes(Int32(0)) + bigEndianBytes(Int32(0)) + bigEndianBytes(Element.postgresType.rawValue) }
        let encoded = elements.map { $0.postgresBytes() }
        let hasNulls: Int32 = encoded.contains { $0 == nil } ? 1 : 0
        var bytes = bigEndianBytes(Int32(1)) + bigEndianBytes(hasNulls) + bigEndianBytes(Element.postgresType.rawValue)
        bytes += bigEndianBytes(Int32(elements.count)) + bigEndianBytes(Int32(1))
        for value in encoded {
            if let value {
                bytes += bigEndianBytes(Int32(value.count)) + value
            } else {
                bytes += bigEndianBytes(Int32(-1))
            }
        }
        return bytes
    }
}
