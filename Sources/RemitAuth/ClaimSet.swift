import Foundation
import JWTKit

/// A JSON value inside a token's claims, kept as sent so that any provider's claim layout
/// (roles as a string, a list, or inside an object) can be read.
public enum ClaimValue: Codable, Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([ClaimValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: ClaimValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// Seconds since the epoch, as `exp`, `nbf` and `iat` carry them.
    var seconds: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// A string, or every string of a list (as `aud` and role claims may be either).
    var strings: [String]? {
        switch self {
        case .string(let value): [value]
        case .array(let values): values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        default: nil
        }
    }
}

/// Every claim of a token. Checks of time, issuer and audience happen in `TokenVerifier`,
/// which knows the clock and each issuer's rules; JWTKit only checks the signature.
public struct ClaimSet: JWTPayload, Equatable {
    public var claims: [String: ClaimValue]

    public init(_ claims: [String: ClaimValue]) { self.claims = claims }

    public init(from decoder: any Decoder) throws {
        claims = try decoder.singleValueContainer().decode([String: ClaimValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(claims)
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// A claim by name, or by a dotted path into nested objects (`realm_access.roles`).
    public func value(at path: String) -> ClaimValue? {
        var current: ClaimValue = .object(claims)
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let members) = current, let next = members[String(part)] else { return nil }
            current = next
        }
        return current
    }
}
