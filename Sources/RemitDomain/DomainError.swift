import Foundation

/// Why a command was refused. Each case maps to one HTTP status and problem type.
public enum DomainError: Error, Sendable, Equatable {
    /// One or more fields are wrong (422).
    case invalid([FieldError])
    /// No remittance has this id (404).
    case notFound(UUID)
    /// The client saw an older version than the current one (412).
    case versionMismatch(expected: Int32, current: Int32)
    /// The remittance is cancelled; nothing more can happen to it (409).
    case alreadyCancelled(UUID)
    /// The idempotency key was used before with a different request (422).
    case idempotencyKeyReused(String)
}
