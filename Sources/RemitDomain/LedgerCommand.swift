import Foundation

/// A change a client asks of the ledger. The appender decides it against the log inside the
/// append transaction, so two commands on one remittance can never both pass a version check.
public enum LedgerCommand: Sendable {
    case create(id: UUID, details: RemittanceDetails, metadata: EventMetadata)
    case amend(id: UUID, expectedVersion: Int32, changes: RemittanceChanges, metadata: EventMetadata)
    case cancel(id: UUID, expectedVersion: Int32, reason: String, metadata: EventMetadata)

    public var streamID: UUID {
        switch self {
        case .create(let id, _, _), .amend(let id, _, _, _), .cancel(let id, _, _, _): id
        }
    }

    public var metadata: EventMetadata {
        switch self {
        case .create(_, _, let metadata), .amend(_, _, _, let metadata), .cancel(_, _, _, let metadata): metadata
        }
    }
}

/// What became of a command that the ledger decided.
public struct LedgerOutcome: Sendable, Equatable {
    /// The remittance after the command (for an idempotent repeat: as it is now).
    public var remittance: Remittance
    /// True when the command repeated an earlier create with the same idempotency key and body.
    public var isRepeat: Bool
    /// The position of the event written, or nil for a repeat.
    public var position: Int64?

    public init(remittance: Remittance, isRepeat: Bool, position: Int64?) {
        self.remittance = remittance
        self.isRepeat = isRepeat
        self.position = position
    }
}

/// The region can not append: it is not the writer, or not at the epoch its appender expected.
public struct NotWriterError: Error, Sendable, CustomStringConvertible {
    public let region: String
    public let role: String
    /// The region that opened the newest epoch this region knows of, if any.
    public let writer: String?
    public init(region: String, role: String, writer: String?) {
        self.region = region
        self.role = role
        self.writer = writer
    }

    public var description: String {
        "region \(region) is \(role), not the writer" + (writer.map { "; the writer is \($0)" } ?? "")
    }
}
