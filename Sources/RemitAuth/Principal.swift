import Foundation

/// Who a verified access token speaks for.
public struct Principal: Sendable, Equatable {
    /// The user name (our own tokens) or the provider's subject (external tokens).
    public let subject: String
    public let issuer: String
    public let roles: Set<Role>
    /// The token's `exp`: nothing may trust this principal after it.
    public let expiresAt: Date
    /// True for tokens we signed ourselves.
    public let isLocal: Bool

    public init(subject: String, issuer: String, roles: Set<Role>, expiresAt: Date, isLocal: Bool) {
        self.subject = subject
        self.issuer = issuer
        self.roles = roles
        self.expiresAt = expiresAt
        self.isLocal = isLocal
    }

    /// The name events and audit records carry: a local user's name, or `subject@issuer` so
    /// that an external subject can never pass for a local user of the same name.
    public var actor: String { isLocal ? subject : "\(subject)@\(issuer)" }

    public func holds(anyOf admitted: Set<Role>) -> Bool { !roles.isDisjoint(with: admitted) }
}
