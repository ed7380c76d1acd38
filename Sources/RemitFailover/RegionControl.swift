import Foundation
import RemitStorage
import RemitCore
import RemitDomain
import RemitPostgres

public struct RegionControlError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a forced failover can measure of what it may lose: the target's share of the old
/// writer's epoch and how long ago it last heard from it.
public struct LossWindowFigures: Sendable, Equatable {
    public var headPosition: Int64
    public var epoch: Int64
    /// Events of the old writer's epoch the target has.
    public var eventsOfEpoch: Int64
    /// When the target last applied a segment (or otherwise moved its head), in milliseconds before now.
    public var millisecondsSinceLastApplied: Int64
    /// The old writer's clock time of the target's newest event.
    public var lastEventRecordedAt: Date?
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

    /// The fenced old writer becomes a reader of the new one. Already a reader is done: the
    /// region's own rejoin check (once a second while it is fenced) may have seen the new epoch
    /// between the promote and this step, and made it a reader at the same head.
    public func demote(epoch: Int64) async throws {
        try await pool.withTransaction { connection in
            if let (role, _) = try RegionStore.lockedRow(connection), role == .reader { return }
            _ = try Self.transition(connection, from: .fenced, to: .reader, epoch: epoch)
        }
    }

    private func transition(from: RegionRole, to: RegionRole, epoch: Int64) async throws -> LogHead {
        try await pool.withTransaction { try Self.transition($0, from: from, to: to, epoch: epoch) }
    }

    private static func transition(_ connection: PostgresConnection, from: RegionRole, to: RegionRole, epoch: Int64) throws -> LogHead {
        let head = try lockedHead(connection, role: from)
        guard head.epoch == epoch else { throw RegionControlError("the region is at epoch \(head.epoch), not \(epoch)") }
        try connection.query("UPDATE region_state SET role = $1, updated_at = now()", [to.rawValue])
        return head
    }

    /// Opens epoch E+1 in a reader whose head is exactly `head` (the fenced writer's): appends
    /// `EpochStarted(E+1, writer: region, after: P, previous hash: H)` and makes it the writer.
    /// With `leaseMilliseconds` the new writer starts with a lease that long (the old one was
    /// leased, so a router will renew this one). Its copy of the routing record names it active.
    public func promote(_ region: RegionName, after head: LogHead, leaseMilliseconds: Int64? = nil) async throws -> LogHead {
        try await open(region, expecting: head, leaseMilliseconds: leaseMilliseconds)
    }

    /// Forced failover: opens epoch E+1 in this reader after whatever it has, with a lease.
    /// What the lost writer had beyond this head is cut off (it goes to quarantine when that
    /// region rejoins).
    public func promoteForced(_ region: RegionName, leaseMilliseconds: Int64) async throws -> LogHead {
        try await open(region, expecting: nil, leaseMilliseconds: leaseMilliseconds)
    }

    private func open(_ region: RegionName, expecting expected: LogHead?, leaseMilliseconds: Int64?) async throws -> LogHead {
        try await pool.withTransaction { connection in
            let head = try Self.lockedHead(connection, role: .reader)
            if let expected, head != expected {
                throw RegionControlError("the target's head is \(head.position) \(head.hash.hex.prefix(12))…, not \(expected.position) \(expected.hash.hex.prefix(12))…")
            }
            let epoch = head.epoch + 1
            let version = try LedgerReader.lastVersion(of: LedgerEvent.ledgerStreamID, connection)
            let now: Int64 = try connection.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8")[0].decode(0)
            let started = EpochStarted(epoch: epoch, writer: region.rawValue, afterPosition: head.position, previousHash: head.hash.hex)
            let event = LedgerFormat.seal(
                position: head.position + 1, epoch: epoch, streamID: LedgerEvent.ledgerStreamID, streamVersion: version + 1,
                event: .epochStarted(started), metadata: EventMetadata(actor: "failover"), recordedAtMicroseconds: now,
                previousHash: head.hash
            )
            let insert = LedgerWriter.insertStatement([event])
            try connection.query(insert.sql, insert.parameters)
            // A lease left from an earlier term must not outlive it: no lease unless one is granted now.
            try connection.query(
                """
                UPDATE region_state SET role = 'writer', epoch = $1, head_position = $2, head_hash = $3, updated_at = now(),
                    lease_expires_at = NULL
                """,
                [epoch, event.position, event.hash]
            )
            if let leaseMilliseconds {
                try connection.query(
                    "UPDATE region_state SET lease_expires_at = clock_timestamp() + make_interval(secs => $1::float8 / 1000)",
                    [Double(leaseMilliseconds)]
                )
            }
            try RoutingStore.write(RoutingRecord(epoch: epoch, revision: 0, activeRegion: region, state: .active), connection)
            return LogHead(position: event.position, hash: event.hash, epoch: epoch)
        }
    }

    /// Extends the writer's lease to `milliseconds` from now by the database's clock, if this
    /// region is still the writer at `epoch`. False when it is not (nothing changed).
    public func renewLease(epoch: Int64, milliseconds: Int64) async throws -> Bool {
        precondition(milliseconds > 0, "a lease runs for a positive time")
        return try await pool.withTransaction { connection in
            // The statement timeout bounds how late a renewal can land (Limits.leaseRenewTimeoutMilliseconds).
            try connection.query("SET LOCAL statement_timeout = \(Limits.leaseRenewTimeoutMilliseconds)")
            return try !connection.query(
                """
                UPDATE region_state SET lease_expires_at = clock_timestamp() + make_interval(secs => $1::float8 / 1000)
                WHERE role = 'writer' AND epoch = $2 RETURNING epoch
                """,
                [Double(milliseconds), epoch]
            ).isEmpty
        }
    }

    /// Stores `record` as this region's copy of the routing record, unless it holds a newer one.
    @discardableResult
    public func route(_ record: RoutingRecord) async throws -> RoutingRecord? {
        try await RoutingStore(pool: pool).write(record)
    }

    /// This region's copy of the routing record.
    public func routing() async throws -> RoutingRecord? {
        try await RoutingStore(pool: pool).current()
    }

    /// What a forced failover to this reader would keep of the writer's log: its head, how many
    /// events of the head's epoch it has, when it last applied a segment, and when (by the
    /// writer's clock) its newest event was written.
    public func lossWindow() async throws -> LossWindowFigures {
        try await pool.withConnection { connection in
            let row = try connection.query(
                """
                SELECT s.head_position, s.epoch, (SELECT count(*) FROM events WHERE epoch = s.epoch),
                       (extract(epoch FROM clock_timestamp() - s.updated_at) * 1000)::int8, e.recorded_at_us
                FROM region_state s LEFT JOIN events e ON e.position = s.head_position
                """
            )[0]
            return LossWindowFigures(
                headPosition: try row.decode(0), epoch: try row.decode(1), eventsOfEpoch: try row.decode(2),
                millisecondsSinceLastApplied: try row.decode(3),
                lastEventRecordedAt: try row.decode(4, as: Int64?.self).map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
            )
        }
    }

    /// True when a router has leased this region: then a promote hands the lease on.
    public func isLeased() async throws -> Bool {
        try await pool.withConnection { connection in
            try connection.query("SELECT lease_expires_at IS NOT NULL FROM region_state").first?.decode(0) ?? false
        }
    }

    /// The region's role and head, read without locking.
    public func state() async throws -> (role: RegionRole, head: LogHead) {
        guard let state = try await RegionStore(pool: pool).current() else { throw RegionControlError("the region has not been claimed yet") }
        return (state.role, LogHead(position: state.headPosition, hash: state.headHash, epoch: state.epoch))
    }

    /// The region's head, its row locked, if the region has the role `expected`.
    static func lockedHead(_ connection: PostgresConnection, role expected: RegionRole) throws -> LogHead {
        guard let (role, head) = try RegionStore.lockedRow(connection) else { throw RegionControlError("the region has not been claimed yet") }
        guard role == expected else { throw RegionControlError("the region is the \(role.rawValue), not the \(expected.rawValue)") }
        return head
    }
}
