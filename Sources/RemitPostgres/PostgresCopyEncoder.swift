/// PostgreSQL's binary COPY format (manual: COPY, "Binary Format"): a header, then per row a
/// field count and each field as a length (-1 for NULL) and its bytes, then a trailer.
/// Fields use the same binary encoding as query parameters, so there is one encoder per type.
enum PostgresCopyEncoder {
    /// Signature, flags (no OIDs), header extension length 0.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// A field count of -1 ends the data.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    static func append(_ row: [any PostgresEncodable], to buffer: inout [UInt8]) {
        buffer += bigEndianBytes(Int16(row.count))
        for value in row {
            if let bytes = value.postgresBytes() {
                buffer += bigEndianBytes(Int32(bytes.count))
                buffer += bytes
            } else {
                buffer += bigEndianBytes(Int32(-1))
            }
        }
    }
}
