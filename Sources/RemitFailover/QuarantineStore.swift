import Foundation
import RemitStorage
import RemitCore
import RemitDomain
import RemitPostgres

/// One remittance with events in quarantine, or one identity change or audit entry, as the
/// operator reconciles it.
public struct QuarantinedRemittance: Sendable, Equatable, Codable {
    /// The remittance's id; for an identity change or audit entry, an id made of its epoch and
    /// position (`QuarantinedSystemEvent`).
    public var id: UUID
    /// What an identity change or audit entry did, in a line; nil for a remittance.
    public var summary: String?
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

/// What a resubmission did.
public struct Resubmission: Sendable, Equatable {
    /// True when the writer's log held it already (a client's retry, an entry carried over).
    public var isRepeat: Bool
    /// Where it was appended again; nil for a repeat.
    public var position: Int64?
}

/// The id of a quarantined event of a system stream: ff ff ff ff, the epoch (4 bytes), the
/// position (8 bytes). No remittance id looks like it (a version-4 UUID has 4 in byte 6).
enum QuarantinedSystemEvent {
    static func id(epoch: Int64, position: Int64) -> UUID {
        var bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: epoch >> Int64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: position >> Int64(shift))) }
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    static func place(_ id: UUID) -> (epoch: Int64, position: Int64)? {
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        guard bytes[0..<4].allSatisfy({ $0 == 0xFF }) else { return nil }
        return (bytes[4..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) }, bytes[8..<16].reduce(Int64(0)) { $0 << 8 | Int64($1) })
    }

    static func summary(_ event: IdentityEvent) -> String {
        switch event {
        case .userAdded(let user): "user \(user.name) added with roles \(user.roles.joined(separator: ","))" + (user.disabled ? ", disabled" : "")
        case .userDisabled(let user): "user \(user.name) disabled"
        case .userEnabled(let user): "user \(user.name) enabled"
        case .userPasswordChanged(let change): "password of \(change.name) changed"
        case .usersImported(let imported): "\(imported.users) users carried into the log"
        case .refreshTokenRotated(let rotated): "a refresh token of \(rotated.user) redeemed"
        case .refreshFamilyRevoked(let revoked): "a sign-in of \(revoked.user) revoked"
        case .signingKeyPublished(let key): "signing key \(key.kid) of \(key.region) published"
        case .signingKeyRetired(let key): "signing key \(key.kid) of \(key.region) retired"
        case .auditRecorded(let entry): "audit: \(entry.actor) \(entry.action) \(entry.target) \(entry.outcome)"
        case .checkpointSigned(let checkpoint): "checkpoint of position \(checkpoint.position) signed by \(checkpoint.region)"
        }
    }
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
                WHERE q.stream_id <> ALL ($1)
                GROUP BY q.stream_id, d.decision, d.decided_by, d.reason
                ORDER BY min(q.position)
                """,
                [PostgresArray([LedgerEvent.ledgerStreamID] + IdentityEvent.systemStreamIDs)]
            )
            let remittances = try rows.map { row in
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
            return remittances + (try Self.systemItems(connection))
        }
    }

    /// Each quarantined identity change and audit entry on its own, oldest first.
    static func systemItems(_ connection: PostgresConnection) throws -> [QuarantinedRemittance] {
        try connection.query(
            """
            SELECT q.epoch, q.position, q.event_type, q.payload, q.fork_position, d.decision, d.decided_by, d.reason
            FROM quarantined_events q
            LEFT JOIN quarantine_decisions d ON d.stream_id = ('ffffffff' || lpad(to_hex(q.epoch), 8, '0') || lpad(to_hex(q.position), 16, '0'))::uuid
            WHERE q.stream_id = ANY ($1) ORDER BY q.epoch, q.position
            """,
            [PostgresArray([IdentityEvent.identityStreamID, IdentityEvent.auditStreamID])]
        ).map { row in
            let epoch: Int64 = try row.decode(0), position: Int64 = try row.decode(1), type: String = try row.decode(2)
            guard case .identity(let event) = try LedgerEvent.decode(type: type, payload: try row.decode(3)) else {
                throw QuarantineError(description: "the quarantined \(type) at \(position) is not an identity event")
            }
            return QuarantinedRemittance(
                id: QuarantinedSystemEvent.id(epoch: epoch, position: position), summary: QuarantinedSystemEvent.summary(event),
                eventTypes: [type], epoch: epoch, forkPosition: try row.decode(4), created: nil, idempotencyKey: nil,
                decision: try row.decode(5, as: String?.self), decidedBy: try row.decode(6, as: String?.self), reason: try row.decode(7, as: String?.self)
            )
        }
    }

    /// Re-creates a quarantined remittance in the current writer (`writer`), as the API would
    /// (same checks: role, epoch, lease), and records the decision. Returns the outcome: a
    /// repeat when the client had already retried it there with the same idempotency key.
    public func resubmit(_ id: UUID, writer: PostgresPool, context: AuditContext) async throws -> Resubmission {
        if let place = QuarantinedSystemEvent.place(id) { return try await resubmitSystem(id, place, writer: writer, context: context) }
        let command = try await resubmission(id, by: context.actor)
        let outcome = try await writer.withConnection { connection in
            try LedgerWriter.append([command], amountMax: Limits.amountMinorUnitsMax, on: connection)[0]
        }
        switch outcome {
        case .success(let outcome):
            let how = outcome.isRepeat ? "already in the writer's log (a client retry)" : "re-created at position \(outcome.position ?? 0)"
            try await decide(id, decision: "resubmitted", reason: how, context: context)
            return Resubmission(isRepeat: outcome.isRepeat, position: outcome.position)
        case .failure(let error):
            throw QuarantineError(description: "the writer refused it: \(error)")
        }
    }

    /// Appends a quarantined identity change or audit entry again at the writer.
    private func resubmitSystem(
        _ id: UUID, _ place: (epoch: Int64, position: Int64), writer: PostgresPool, context: AuditContext
    ) async throws -> Resubmission {
        guard let item = try await list().first(where: { $0.id == id }) else {
            throw QuarantineError(description: "\(id.uuidString.lowercased()) is not in quarantine in \(region)")
        }
        guard item.decision == nil else { throw QuarantineError(description: "\(id.uuidString.lowercased()) was already \(item.decision!) by \(item.decidedBy ?? "?")") }
        let (type, payload): (String, [UInt8]) = try await pool.withConnection { connection in
            let row = try connection.query("SELECT event_type, payload FROM quarantined_events WHERE epoch = $1 AND position = $2", [place.epoch, place.position])[0]
            return (try row.decode(0), try row.decode(1))
        }
        guard case .identity(let event) = try LedgerEvent.decode(type: type, payload: payload) else {
            throw QuarantineError(description: "\(type) is not an identity event")
        }
        let position: Int64?
        do {
            position = try await IdentityStore(pool: writer, region: region).resubmit(event, actor: context.actor)
        } catch let refusal as IdentityError {
            throw QuarantineError(description: "the writer refused it: \(refusal); dismiss it instead")
        }
        try await decide(id, decision: "resubmitted", reason: position.map { "appended again at position \($0)" } ?? "already in the writer's log", context: context)
        return Resubmission(isRepeat: position == nil, position: position)
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
            let held = try QuarantinedSystemEvent.place(id).map {
                try connection.query("SELECT 1 FROM quarantined_events WHERE epoch = $1 AND position = $2", [$0.epoch, $0.position])
            } ?? connection.query("SELECT 1 FROM quarantined_events WHERE stream_id = $1 LIMIT 1", [id])
            guard !held.isEmpty else {
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

