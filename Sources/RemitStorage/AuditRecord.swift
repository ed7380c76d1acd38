import Foundation
import RemitDomain
import RemitPostgres

/// One line of the audit trail as the API shows it: its place in the log, who did what to
/// what, from where, and how it ended.
public struct AuditRecord: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case succeeded, refused, failed
    }

    /// The position of its `AuditRecorded` event in the log: one sequence in every region.
    public var position: Int64
    public var recordedAt: Date
    public var region: String
    public var actor: String
    public var source: String
    public var action: String
    public var target: String
    public var outcome: Outcome
    public var detail: String
}

/// Who is acting and from where, for the audit records their actions leave.
public struct AuditContext: Sendable, Equatable {
    public var actor: String
    /// The client address, or `cli` for commands run on a region's host.
    public var source: String

    public init(actor: String, source: String) {
        self.actor = actor
        self.source = source
    }

    func entry(region: String, action: String, target: String, outcome: AuditRecord.Outcome, detail: String) -> AuditEntry {
        AuditEntry(region: region, actor: actor, source: source, action: action, target: target, outcome: outcome.rawValue, detail: detail)
    }
}

/// The audit trail: `AuditRecorded` events of the log's audit stream, and the outbox of entries
/// recorded where the log could not take them yet.
public enum AuditLog {
    /// Records an entry in the outbox, in the caller's transaction (a rejoin, a reconcile
    /// decision): the writer's node logs it, under its entry id, once.
    public static func append(
        _ connection: PostgresConnection, region: String, context: AuditContext,
        action: String, target: String, outcome: AuditRecord.Outcome, detail: String = ""
    ) throws {
        try insertOutbox(context.entry(region: region, action: action, target: target, outcome: outcome, detail: detail), connection)
    }

    static func insertOutbox(_ entry: AuditEntry, _ connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO audit_outbox (entry_id, region, actor, source, action, target, outcome, detail, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce(to_timestamp($9::int8 / 1000000.0), now()))
            ON CONFLICT (entry_id) DO NOTHING
            """,
            [entry.entryID, entry.region, entry.actor, entry.source, entry.action, entry.target, entry.outcome, entry.detail, entry.atMicroseconds]
        )
    }

    /// Entries waiting in the outbox, oldest first, with when they happened.
    static func outbox(_ connection: PostgresConnection, limit: Int) throws -> [AuditEntry] {
        try connection.query(
            """
            SELECT entry_id, region, actor, source, action, target, outcome, detail,
                   (extract(epoch FROM recorded_at) * 1000000)::int8
            FROM audit_outbox ORDER BY position LIMIT $1
            """,
            [Int64(limit)]
        ).map { row in
            AuditEntry(
                entryID: try row.decode(0), region: try row.decode(1), actor: try row.decode(2), source: try row.decode(3),
                action: try row.decode(4), target: try row.decode(5), outcome: try row.decode(6), detail: try row.decode(7),
                atMicroseconds: try row.decode(8)
            )
        }
    }

    static func read(_ connection: PostgresConnection, after position: Int64, limit: Int) throws -> [AuditRecord] {
        try connection.query(
            """
            SELECT position, recorded_at_us, event_type, payload FROM events
            WHERE stream_id = '00000000-0000-0000-0000-000000000002' AND position > $1 ORDER BY position LIMIT $2
            """,
            [position, Int64(limit)]
        ).map { row in
            guard case .identity(.auditRecorded(let entry)) = try LedgerEvent.decode(type: try row.decode(2), payload: try row.decode(3)) else {
                throw AuditTrailError(position: try row.decode(0))
            }
            let at = try entry.atMicroseconds ?? row.decode(1, as: Int64.self)
            return AuditRecord(
                position: try row.decode(0), recordedAt: Date(timeIntervalSince1970: Double(at) / 1_000_000), region: entry.region,
                actor: entry.actor, source: entry.source, action: entry.action, target: entry.target,
                outcome: AuditRecord.Outcome(rawValue: entry.outcome) ?? .failed, detail: entry.detail
            )
        }
    }
}

/// An event of the audit stream that is not an audit entry: the log was written by something
/// other than Remit.
public struct AuditTrailError: Error, CustomStringConvertible {
    public let position: Int64
    public var description: String { "the event at position \(position) of the audit stream is not an audit entry" }
}
