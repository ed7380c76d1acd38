import Foundation
import RemitCore
import RemitDomain
import RemitPostgres

/// The region control row of one region's database.
public struct RegionState: Sendable, Equatable, Codable {
    public var region: RegionName
    public var role: RegionRole
    public var epoch: Int64
    public var headPosition: Int64
    public var headHash: [UInt8]
    /// How long the write lease still holds by the database's clock (0: expired); nil when
    /// no router has leased this region.
    public var leaseMillisecondsLeft: Int64?
    /// This region's copy of the routing record.
    public var routing: RoutingRecord?

    public init(
        region: RegionName, role: RegionRole, epoch: Int64, headPosition: Int64, headHash: [UInt8],
        leaseMillisecondsLeft: Int64? = nil, routing: RoutingRecord? = nil
    ) {
        self.region = region
        self.role = role
        self.epoch = epoch
        self.headPosition = headPosition
        self.headHash = headHash
        self.leaseMillisecondsLeft = leaseMillisecondsLeft
        self.routing = routing
    }
}

public struct RegionStoreError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Reads and claims the region control row.
public struct RegionStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Makes this database `region`'s: on first use records the region with `initialRole`;
    /// afterwards checks that it is the same region, so a node pointed at the wrong database
    /// refuses to start instead of serving another region's log. Returns the current state.
    public func claim(_ region: RegionName, initialRole: RegionRole) async throws -> RegionState {
        try await pool.withTransaction { connection in
            // ON CONFLICT DO NOTHING: two nodes claiming at once leave one row, both then read it.
            try connection.query(
                "INSERT INTO region_state (region, role) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING",
                [region.rawValue, initialRole.rawValue]
            )
            guard let state = try Self.read(connection) else {
                throw RegionStoreError(message: "region_state is empty after claiming it")
            }
            guard state.region == region else {
                throw RegionStoreError(
                    message: "this database belongs to region \(state.region), not \(region)"
                )
            }
            // A region that starts life as the writer opens the first epoch of the log.
            try LedgerWriter.openFirstEpoch(connection)
            return try Self.read(connection)!
        }
    }

    /// The region's head position alone (0 before any node claimed the database): what a
    /// benchmark samples every millisecond, so one column and no join.
    public func headPosition() async throws -> Int64 {
        try await pool.withConnection { try $0.query("SELECT head_position FROM region_state").first?.decode(0) ?? 0 }
    }

    /// The current row, or nil if no region has claimed this database yet.
    public func current() async throws -> RegionState? {
        try await pool.withConnection { try Self.read($0) }
    }

    /// The region's role and head, locked for a change in this transaction: appends, fences,
    /// promotes, applies and rejoins all take this row's lock, so they serialise. Nil before a
    /// node claimed the database.
    public static func lockedRow(_ connection: PostgresConnection) throws -> (role: RegionRole, head: LogHead)? {
        guard let row = try connection.query("SELECT role, head_position, head_hash, epoch FROM region_state FOR UPDATE").first else {
            return nil
        }
        let roleText: String = try row.decode(0)
        guard let role = RegionRole(rawValue: roleText) else { throw RegionStoreError(message: "region_state holds an invalid role \(roleText)") }
        return (role, LogHead(position: try row.decode(1), hash: try row.decode(2), epoch: try row.decode(3)))
    }

    /// The row and the routing record in one statement, so in one snapshot: read apart, a
    /// promote committing between the two reads showed a reader holding the routing record
    /// that names it the writer.
    static func read(_ connection: PostgresConnection) throws -> RegionState? {
        let rows = try connection.query(
            """
            SELECT s.region, s.role, s.epoch, s.head_position, s.head_hash,
                   -- greatest() skips NULLs, so an unleased region needs its own case.
                   CASE WHEN s.lease_expires_at IS NOT NULL
                        THEN greatest(0, extract(epoch FROM s.lease_expires_at - clock_timestamp()) * 1000)::int8 END,
                   r.epoch, r.revision, r.active_region, r.state
            FROM region_state s LEFT JOIN routing_record r ON true
            """
        )
        guard let row = rows.first else { return nil }
        let regionText = try row.decode(0, as: String.self)
        let roleText = try row.decode(1, as: String.self)
        guard let region = RegionName(rawValue: regionText), let role = RegionRole(rawValue: roleText) else {
            throw RegionStoreError(message: "region_state holds an invalid region \(regionText) or role \(roleText)")
        }
        return RegionState(
            region: region,
            role: role,
            epoch: try row.decode(2),
            headPosition: try row.decode(3),
            headHash: try row.decode(4),
            leaseMillisecondsLeft: try row.decode(5, as: Int64?.self),
            routing: try RoutingStore.record(row, from: 6)
        )
    }
}
