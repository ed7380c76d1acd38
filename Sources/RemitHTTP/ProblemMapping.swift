import RemitWire
import RemitDomain
import RemitStorage

extension Problem {
    /// The problem for a refused command; each domain error has one stable type.
    init(_ error: DomainError) {
        switch error {
        case .invalid(let errors):
            self.init(slug: "validation", title: "Invalid request", status: .unprocessableContent,
                      detail: "\(errors.count) field(s) are invalid", errors: errors)
        case .notFound(let id):
            self.init(slug: "not-found", title: "Not found", status: .notFound, detail: "no remittance \(id.uuidString.lowercased())")
        case .versionMismatch(let expected, let current):
            self.init(slug: "version-mismatch", title: "Version mismatch", status: .preconditionFailed,
                      detail: "If-Match names version \(expected), the remittance is at version \(current)")
        case .alreadyCancelled(let id):
            self.init(slug: "cancelled", title: "Remittance cancelled", status: .conflict,
                      detail: "remittance \(id.uuidString.lowercased()) is cancelled and can not change")
        case .idempotencyKeyReused:
            self.init(slug: "idempotency-key-reused", title: "Idempotency key reused", status: .unprocessableContent,
                      detail: "this Idempotency-Key was used for a different request")
        }
    }

    /// The problem for an append the region could not make.
    init(_ failure: Appender.Failure) {
        switch failure {
        case .overloaded:
            self.init(slug: "overloaded", title: "Overloaded", status: .serviceUnavailable,
                      detail: "too many writes are waiting; retry with the same Idempotency-Key")
        case .notWriter(let error):
            self.init(slug: "not-writer", title: "Not the writer", status: .conflict, detail: error.description, writer: error.writer)
        case .storage:
            self.init(slug: "storage-unavailable", title: "Storage unavailable", status: .serviceUnavailable,
                      detail: "the write was not recorded; retry with the same Idempotency-Key")
        }
    }
}
