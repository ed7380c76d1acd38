import Foundation
import RemitCore
import RemitDomain
import RemitPostgres
import RemitReplication

public struct RegionControlError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The role changes a failover makes in one region's database, each one transaction on the
/// locked region row. Appends lock the same row, so a change waits for appends in flight and
/// no append can commit after it under the old role.
public struct RegionControl: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The writer at `epoch` stops accepting appends; returns its final head.
    public func fence(epoch: Int64) async throws -> LogHead {
        try await transition(from: .writer, to: .fenced, epoch: epoch)
    }

    /// Undoes a fence (a failover rolled back before promoting anyone).
    public func unfence(epoch: Int64) async throws {
        _ = try await transition(from: .fenced, to: .writer, epoch: epoch)
    }

    /// The fenced old writer becomes a reader of the new one.
    public func demote(epoch: Int64) async throws {
        _ = try await transition(from: .fenced, to: .reader, epoch: epoch)
    }

    private func transition(from: RegionRole, to: RegionRole, epoch: Int64) async throws -> LogHead {
        try await pool.withTransaction { connection in
            let head = try Self.lockedHead(connection, role: from)
            guard head.epoch == epoch else { throw RegionControlError("the region is at epoch \(head.epoch), not \(epoch)") }
            try connection.query("UPDATE region_state SET role = $1, updated_at = now()", [to.rawValue])
            return head
        }
    }

    /// Opens epoch E+1 in a reader whose head is exactly `head` (the fenced writer's): appends
    /// `EpochStarted(E+1, writer: region, after: P, previous hash: H)` and makes it the writer.
    public func promote(_ region: RegionName, after head: LogHead) async throws -> LogHead {
        try await pool.withTransaction { connection in
            let current = try Self.lockedHead(connection, role: .reader)
            guard current == head else {
                throw RegionControlError("the target's head is \(current.position) \(current.hash.hex.prefix(12))…, not \(head.position) \(head.hash.hex.prefix(12))…")
            }
            let epoch = head.epoch + 1
            let version: Int32 = try connection.query(
                "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", [LedgerEvent.ledgerStreamID]
            )[0].decode(0)
            let now: Int64 = try connection.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8")[0].decode(0)
            let started = EpochStarted(epoch: epoch, writer: region.rawValue, afterPosition: head.position, previousHash: head.hash.hex)
            let event = LedgerFormat.seal(
                position: head.position + 1, epoch: epoch, streamID: LedgerEvent.ledgerStreamID, streamVersion: version + 1,
                event: .epochStarted(started), metadata: EventMetadata(actor: "failover"), recordedAtMicroseconds: now,
                previousHash: head.hash
            )
            let insert = LedgerWriter.insertStatement([(event, nil)])
            try connection.query(insert.sql, insert.parameters)
            try connection.query(
                "UPDATE region_state SET role = 'writer', epoch = $1, head_position = $2, head_hash = $3, updated_at = now()",
                [epoch, event.position, event.hash]
            )
            return LogHead(position: event.position, hash: event.hash, epoch: epoch)
        }
    }

    /// The region's role and head, read without locking.
    public func state() async throws -> (role: RegionRole, head: LogHead) {
        try await pool.withConnection { connection in
            guard let row = try connection.query("SELECT role, head_position, head_hash, epoch FROM region_state").first,
                let role = RegionRole(rawValue: try row.decode(0))
            else { throw RegionControlError("the region has not been claimed yet") }
            return (role, LogHead(position: try row.decode(1), hash: try row.decode(2), epoch: try row.decode(3)))
        }
    }

    static func lockedHead(_ connection: PostgresConnection, role expected: RegionRole) throws -> LogHead {
        guard let row = try connection.query("SELECT role, head_position, head_hash, epoch FROM region_state FOR UPDATE").first else {
            throw RegionControlError("the region has not been claimed yet")
        }
        let role: String = try row.decode(0)
        guard role == expected.rawValue else { throw RegionControlError("the region is the \(role), not the \(expected.rawValue)") }
        return LogHead(position: try row.decode(1), hash: try row.decode(2), epoch: try row.decode(3))
    }
}
