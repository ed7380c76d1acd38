import Foundation
import RemitCore
import RemitPostgres

/// This region's copy of the routing record.
public struct RoutingStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func current() async throws -> RoutingRecord? {
        try await pool.withConnection { try Self.read($0) }
    }

    /// Stores `record` unless this copy is already as new or newer; returns the copy now held.
    @discardableResult
    public func write(_ record: RoutingRecord) async throws -> RoutingRecord? {
        try await pool.withTransaction { connection in
            try Self.write(record, connection)
            return try Self.read(connection)
        }
    }

    public static func write(_ record: RoutingRecord, _ connection: PostgresConnection) throws {
        try connection.query(
            """
            INSERT INTO routing_record (epoch, revision, active_region, state) VALUES ($1, $2, $3, $4)
            ON CONFLICT (singleton) DO UPDATE
                SET epoch = EXCLUDED.epoch, revision = EXCLUDED.revision, active_region = EXCLUDED.active_region,
                    state = EXCLUDED.state, updated_at = clock_timestamp()
                WHERE (routing_record.epoch, routing_record.revision) < (EXCLUDED.epoch, EXCLUDED.revision)
            """,
            [record.epoch, record.revision, record.activeRegion.rawValue, record.state.rawValue]
        )
    }

    public static func read(_ connection: PostgresConnection) throws -> RoutingRecord? {
        guard let row = try connection.query("SELECT epoch, revision, active_region, state FROM routing_record").first else { return nil }
        return try record(row, from: 0)
    }

    /// The record in `row`'s columns `first` to `first + 3` (epoch, revision, active_region,
    /// state; all NULL from an outer join: none).
    static func record(_ row: PostgresRow, from first: Int) throws -> RoutingRecord? {
        guard let epoch = try row.decode(first, as: Int64?.self) else { return nil }
        let regionText: String = try row.decode(first + 2), stateText: String = try row.decode(first + 3)
        guard let region = RegionName(rawValue: regionText), let state = RoutingRecord.State(rawValue: stateText) else {
            throw RegionStoreError(message: "routing_record holds an invalid region \(regionText) or state \(stateText)")
        }
        return RoutingRecord(epoch: epoch, revision: try row.decode(first + 1), activeRegion: region, state: state)
    }
}
