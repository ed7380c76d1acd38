import Foundation

/// A Swift value that can be bound as a query parameter or a COPY field, in PostgreSQL's binary
/// format. Binding values this way (never by building SQL text) is what keeps queries injection-free.
public protocol PostgresEncodable: Sendable {
    /// The type the server should read the bytes as.
    static var postgresType: PostgresType { get }
    /// The value in binary wire format, or `nil` for SQL NULL.
    func postgresBytes() -> [UInt8]?
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public func postgresBytes() -> [UInt8]? { [self ? 1 : 0] }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresType { .int2 }
    public func postgresBytes() -> [UInt8]? { bigEndianBytes(self) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresType { .int4 }
    public func postgresBytes() -> [UInt8]? { bigEndianBytes(self) }
}

/// float8 for measurements (durations); money is never a Double anywhere in Remit.
extension Double: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public func postgresBytes() -> [UInt8]? { bigEndianBytes(bitPattern) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresBytes() -> [UInt8]? { bigEndianBytes(self) }
}

/// `Int` binds as `int8`: Remit only runs on 64-bit platforms.
extension Int: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresBytes() -> [UInt8]? { bigEndianBytes(Int64(self)) }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresType { .text }
    public func postgresBytes() -> [UInt8]? { Array(utf8) }
}

/// Raw bytes bind as `bytea`.
extension Array: PostgresEncodable where Element == UInt8 {
    public static var postgresType: PostgresType { .bytea }
    public func postgresBytes() -> [UInt8]? { self }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresType { .uuid }
    public func postgresBytes() -> [UInt8]? {
        withUnsafeBytes(of: uuid) { Array($0) }
    }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public func postgresBytes() -> [UInt8]? { bigEndianBytes(PostgresTimestamp.microseconds(from: self)) }
}

/// Text that binds as `jsonb`. The server checks that it is JSON.
public struct JSONB: PostgresEncodable, Hashable {
    /// The JSON text.
    public var text: String
    public init(_ text: String) { self.text = text }

    public static var postgresType: PostgresType { .jsonb }
    public func postgresBytes() -> [UInt8]? {
        // jsonb's binary format: a version byte (1), then the JSON text.
        [1] + Array(text.utf8)
    }
}

/// `nil` binds as SQL NULL of the wrapped type.
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public func postgresBytes() -> [UInt8]? { self?.postgresBytes() }
}

func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// `timestamptz` travels as microseconds since 2000-01-01 00:00:00 UTC.
enum PostgresTimestamp {
    /// Seconds from 2000-01-01 (PostgreSQL's epoch) to 2001-01-01 (Foundation's reference date).
    static let referenceDateOffsetSeconds: Double = 366 * 86_400

    static func microseconds(from date: Date) -> Int64 {
        Int64(((date.timeIntervalSinceReferenceDate + referenceDateOffsetSeconds) * 1_000_000).rounded())
    }

    static func date(fromMicroseconds microseconds: Int64) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(microseconds) / 1_000_000 - referenceDateOffsetSeconds)
    }
}
