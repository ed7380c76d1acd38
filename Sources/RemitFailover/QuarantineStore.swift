import Foundation
import RemitStorage
import RemitCore
import RemitDomain
import RemitPostgres

/// One remittance with events in quarantine, as the operator reconciles it.
public struct QuarantinedRemittance: Sendable, Equatable, Codable {
    public var id: UUID
    /// The event types quarantined for it, oldest first.
    public var eventTypes: [String]
    public var epoch: Int64
    public var forkPosition: Int64
    /// The quarantined create, when the remittance was created after the fork.
    public var created: RemittanceDetails?
    public var idempotencyKey: String?
    /// "resubmitted" or "dismissed" once decided, with who decided and why.
    public var decision: String?
    public var decidedBy: String?
    public var reason: String?
}

public struct QuarantineError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// The events a forced failover cut off, kept in the region that wrote them, and the
/// operator's decision on each remittance. Every decision is audited with it.
public struct QuarantineStore: Sendable {
    public let pool: PostgresPool
    public let region: String

    public init(pool: PostgresPool, region: String) {
        self.pool = pool
        self.region = region
    }

    /// How many events this region's quarantine holds.
    public func eventCount() async throws -> Int64 {
        try await pool.withConnection { try $0.query("SELECT count(*) FROM quarantined_events")[0].decode(0) }
    }

    /// Which of `keys` the quarantine holds: acknowledged creates a forced failover cut off.
    public func idempotencyKeys(_ keys: [String]) async throws -> Set<String> {
        try await pool.withConnection { connection in
            Set(try connection.query("SELECT idempotency_key FROM quarantined_events WHERE idempotency_key = ANY($1)", [PostgresArray(keys)])
                .map { try $0.decode(0) })
        }
    }

    public func list() async throws -> [QuarantinedRemittance] {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT q.stream_id, string_agg(q.event_type, ',' ORDER BY q.position), min(q.epoch), min(q.fork_position),
                       (array_agg(q.payload ORDER BY q.position) FILTER (WHERE q.event_type = 'RemittanceCreated'))[1],
                       min(q.idempotency_key), d.decision, d.decided_by, d.reason
                FROM quarantined_events q LEFT JOIN quarantine_decisions d ON d.stream_id = q.stream_id
                WHERE q.stream_id <> $1
                GROUP BY q.stream_id, d.decision, d.decided_by, d.reason
                ORDER BY min(q.position)
                """,
                [LedgerEvent.ledgerStreamID]
            )
            return try rows.map { row in
                let created = try row.decode(4, as: [UInt8]?.self).map { payload -> RemittanceDetails in
                    guard case .remittanceCreated(let details) = try LedgerEvent.decode(type: "RemittanceCreated", payload: payload) else {
                        throw QuarantineError(description: "a RemittanceCreated payload did not decode as one")
                    }
                    return details
                }
                return QuarantinedRemittance(
                    id: try row.decode(0), eventTypes: try row.decode(1, as: String.self).split(separator: ",").map(String.init), epoch: try row.decode(2),
                    forkPosition: try row.decode(3), created: created, idempotencyKey: try row.decode(5, as: String?.self),
                    decision: try row.decode(6, as: String?.self), decidedBy: try row.decode(7, as: String?.self),
                    reason: try row.decode(8, as: String?.self)
                )
            }
        }
    }

    /// Re-creates a quarantined remittance in the current writer (`writer`), as the API would
    /// (same checks: role, epoch, lease), and records the decision. Returns the outcome: a
    /// repeat when the client had already retried it there with the same idempotency key.
    public func resubmit(_ id: UUID, writer: PostgresPool, context: AuditContext) async throws -> LedgerOutcome {
        let command = try await resubmission(id, by: context.actor)
        let outcome = try await writer.withConnection { connection in
            try LedgerWriter.append([command], amountMax: Limits.amountMinorUnitsMax, on: connection)[0]
        }
        switch outcome {
        case .success(let outcome):
            let how = outcome.isRepeat ? "already in the writer's log (a client retry)" : "re-created at position \(outcome.position ?? 0)"
            try await decide(id, decision: "resubmitted", reason: how, context: context)
            return outcome
        case .failure(let error):
            throw QuarantineError(description: "the writer refused it: \(error)")
        }
    }

    /// The create command that re-creates a quarantined remittance as it was first submitted
    /// (same id, idempotency key and request hash, so a client's own retry and this are one).
    func resubmission(_ id: UUID, by actor: String) async throws -> LedgerCommand {
        let items = try await list()
        guard let item = items.first(where: { $0.id == id }) else { throw QuarantineError(description: "\(id.uuidString.lowercased()) is not in quarantine in \(region)") }
        guard item.decision == nil else { throw QuarantineError(description: "\(id.uuidString.lowercased()) was already \(item.decision!) by \(item.decidedBy ?? "?")") }
        guard let details = item.created else {
            throw QuarantineError(description: "\(id.uuidString.lowercased()) was created before the fork; only its \(item.eventTypes.joined(separator: ", ")) is quarantined: make that change through the API, then dismiss it")
        }
        let metadataBytes: [UInt8] = try await pool.withConnection { connection in
            try connection.query(
                "SELECT metadata FROM quarantined_events WHERE stream_id = $1 AND event_type = 'RemittanceCreated'", [id]
            )[0].decode(0)
        }
        var metadata = try JSONDecoder().decode(EventMetadata.self, from: Data(metadataBytes))
        metadata.requestID = "resubmitted by \(actor)"
        return .create(id: id, details: details, metadata: metadata)
    }

    /// Records the operator's decision, audited in the same transaction; a remittance is decided once.
    public func decide(_ id: UUID, decision: String, reason: String, context: AuditContext) async throws {
        precondition(decision == "resubmitted" || decision == "dismissed", "a known decision")
        let region = self.region
        try await pool.withTransaction { connection in
            guard try !connection.query("SELECT 1 FROM quarantined_events WHERE stream_id = $1 LIMIT 1", [id]).isEmpty else {
                throw QuarantineError(description: "\(id.uuidString.lowercased()) is not in quarantine in \(region)")
            }
            let inserted = try connection.query(
                """
                INSERT INTO quarantine_decisions (stream_id, decision, decided_by, reason) VALUES ($1, $2, $3, $4)
                ON CONFLICT (stream_id) DO NOTHING RETURNING stream_id
                """,
                [id, decision, context.actor, reason]
            )
            guard !inserted.isEmpty else { throw QuarantineError(description: "\(id.uuidString.lowercased()) was already decided") }
            try AuditLog.append(
                connection, region: region, context: context, action: "reconcile-\(decision == "resubmitted" ? "resubmit" : "dismiss")",
                target: id.uuidString.lowercased(), outcome: .succeeded, detail: reason
            )
        }
    }
}

