import Foundation
import RemitPostgres

/// One line of the audit log: who did what to what, from where, and how it ended.
public struct AuditRecord: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case succeeded, refused, failed
    }

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
}

public enum AuditLog {
    public static func append(
        _ connection: PostgresConnection, region: String, context: AuditContext,
        action: String, target: String, outcome: AuditRecord.Outcome, detail: String = ""
    ) throws {
        try connection.query(
            "INSERT INTO audit_log (region, actor, source, action, target, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [region, context.actor, context.source, action, target, outcome.rawValue, detail]
        )
    }

    static func read(_ connection: PostgresConnection, after position: Int64, limit: Int) throws -> [AuditRecord] {
        try connection.query(
            """
            SELECT position, recorded_at, region, actor, source, action, target, outcome, detail
            FROM audit_log WHERE position > $1 ORDER BY position LIMIT $2
            """,
            [position, Int64(limit)]
        ).map { row in
            AuditRecord(
                position: try row.decode(0), recordedAt: try row.decode(1), region: try row.decode(2), actor: try row.decode(3),
                source: try row.decode(4), action: try row.decode(5), target: try row.decode(6),
                outcome: AuditRecord.Outcome(rawValue: try row.decode(7)) ?? .failed, detail: try row.decode(8)
            )
        }
    }
}
