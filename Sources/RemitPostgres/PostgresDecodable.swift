import Foundation

/// A Swift type that a result column (in binary format) can be read as.
public protocol PostgresDecodable {
    /// Reads a non-NULL value; `type` is the column's type, so a mismatch is a typed error, not garbage.
    init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError)
}

extension Bool: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .bool, bytes.count == 1 else { throw decodingError(Bool.self, type, bytes) }
        self = bytes.first! != 0
    }
}

extension Int16: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .int2 else { throw decodingError(Int16.self, type, bytes) }
        self = try readBigEndian(bytes, type)
    }
}

extension Int32: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        switch type {
        case .int2: self = Int32(try readBigEndian(bytes, type) as Int16)
        case .int4, .oid: self = try readBigEndian(bytes, type)
        default: throw decodingError(Int32.self, type, bytes)
        }
    }
}

extension Double: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .float8 else { throw decodingError(Double.self, type, bytes) }
        self = Double(bitPattern: try readBigEndian(bytes, type))
    }
}

extension Int64: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        switch type {
        case .int2: self = Int64(try readBigEndian(bytes, type) as Int16)
        case .int4: self = Int64(try readBigEndian(bytes, type) as Int32)
        case .oid: self = Int64(try readBigEndian(bytes, type) as UInt32)
        case .int8: self = try readBigEndian(bytes, type)
        default: throw decodingError(Int64.self, type, bytes)
        }
    }
}

extension Int: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        self = Int(try Int64(postgresBytes: bytes, type: type))
    }
}

extension String: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        let text: ArraySlice<UInt8>
        switch type {
        case .text, .varchar, .name, .bpchar, .json: text = bytes
        case .jsonb:
            guard bytes.first == 1 else { throw decodingError(String.self, type, bytes) }
            text = bytes.dropFirst()
        default: throw decodingError(String.self, type, bytes)
        }
        // The connection's client_encoding is UTF8, so invalid UTF-8 here means a broken protocol.
        guard let string = String(validating: text, as: UTF8.self) else {
            throw decodingError(String.self, type, bytes)
        }
        self = string
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .bytea else { throw decodingError([UInt8].self, type, bytes) }
        self = Array(bytes)
    }
}

extension UUID: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .uuid, bytes.count == 16 else { throw decodingError(UUID.self, type, bytes) }
        let b = Array(bytes)
        self = UUID(uuid: (
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        ))
    }
}

extension Date: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .timestamptz else { throw decodingError(Date.self, type, bytes) }
        self = PostgresTimestamp.date(fromMicroseconds: try readBigEndian(bytes, type))
    }
}

extension JSONB: PostgresDecodable {
    public init(postgresBytes bytes: ArraySlice<UInt8>, type: PostgresType) throws(PostgresError) {
        guard type == .jsonb || type == .json else { throw decodingError(JSONB.self, type, bytes) }
        self.init(try String(postgresBytes: bytes, type: type))
    }
}

private func readBigEndian<T: FixedWidthInteger>(
    _ bytes: ArraySlice<UInt8>,
    _ type: PostgresType
) throws(PostgresError) -> T {
    guard bytes.count == MemoryLayout<T>.size else { throw decodingError(T.self, type, bytes) }
    var value: T = 0
    for byte in bytes { value = value << 8 | T(byte) }
    return value
}

private func decodingError(_ swiftType: Any.Type, _ type: PostgresType, _ bytes: ArraySlice<UInt8>) -> PostgresError {
    PostgresError(
        code: .decoding,
        message: "can not read a column of \(type) (\(bytes.count) bytes) as \(swiftType)"
    )
}
