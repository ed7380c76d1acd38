import Foundation

/// Decides commands against the current state of a remittance, and folds events into state.
/// Pure: no clock, no I/O; the caller supplies ids, times and the current state.
public enum Decider {
    public static func create(_ details: RemittanceDetails, amountMax: Int64) -> Result<LedgerEvent, DomainError> {
        Validation.check(details, amountMax: amountMax).map(LedgerEvent.remittanceCreated)
    }

    public static func amend(
        _ changes: RemittanceChanges, expectedVersion: Int32, current: Remittance?, id: UUID, amountMax: Int64
    ) -> Result<LedgerEvent, DomainError> {
        guard let current else { return .failure(.notFound(id)) }
        guard current.status != .cancelled else { return .failure(.alreadyCancelled(id)) }
        guard current.version == expectedVersion else {
            return .failure(.versionMismatch(expected: expectedVersion, current: current.version))
        }
        return Validation.check(changes, amountMax: amountMax).map(LedgerEvent.remittanceAmended)
    }

    public static func cancel(
        reason: String, expectedVersion: Int32, current: Remittance?, id: UUID
    ) -> Result<LedgerEvent, DomainError> {
        guard let current else { return .failure(.notFound(id)) }
        guard current.status != .cancelled else { return .failure(.alreadyCancelled(id)) }
        guard current.version == expectedVersion else {
            return .failure(.versionMismatch(expected: expectedVersion, current: current.version))
        }
        return Validation.checkReason(reason).map { .remittanceCancelled(RemittanceCancelled(reason: $0)) }
    }

    /// The state after `event` (at `version`, recorded at `at`). Non-remittance events leave it alone.
    public static func apply(_ event: LedgerEvent, id: UUID, version: Int32, at: Date, to state: Remittance?) -> Remittance? {
        switch event {
        case .epochStarted, .identity:
            return state
        case .remittanceCreated(let details):
            return Remittance(id: id, details: details, status: .created, version: version, createdAt: at, updatedAt: at)
        case .remittanceAmended(let changes):
            guard var next = state else { return nil }
            next.details = changes.applied(to: next.details)
            next.status = .amended
            next.version = version
            next.updatedAt = at
            return next
        case .remittanceCancelled(let cancelled):
            guard var next = state else { return nil }
            next.status = .cancelled
            next.cancellationReason = cancelled.reason
            next.version = version
            next.updatedAt = at
            return next
        }
    }
}
