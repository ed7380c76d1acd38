import Foundation
import RemitCore
import RemitDomain
import RemitPostgres

/// The dashboard figures, from the views.
public struct Dashboard: Codable, Sendable, Equatable {
    public struct CurrencyFigures: Codable, Sendable, Equatable {
        public var currency: String
        public var count: Int64
        /// Minor units; cancelled remittances are not counted.
        public var amount: Int64
    }

    public struct Corridor: Codable, Sendable, Equatable {
        public var senderBank: String
        public var receiverBank: String
        public var currency: String
        public var count: Int64
        public var amount: Int64
    }

    public struct Minute: Codable, Sendable, Equatable {
        public var minute: Date
        public var created: Int64
    }

    public var countsByStatus: [String: Int64]
    public var currencies: [CurrencyFigures]
    public var corridors: [Corridor]
    /// Remittances created per minute, the last 60 minutes that had any, oldest first.
    public var createdPerMinute: [Minute]
    /// The last log position the views include.
    public var projectedPosition: Int64
}

/// A page of remittances, newest first.
public struct RemittancePage: Sendable, Equatable {
    public var items: [Remittance]
    /// Pass back as `cursor` for the next page; nil on the last page.
    public var nextCursor: Int64?
}

/// Reads the views and the log.
public struct LedgerReader: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The current state folded from the log itself: what a client that just wrote should see,
    /// even before the projector caught up.
    public func remittanceFromLog(_ id: UUID) async throws -> Remittance? {
        try await pool.withConnection { try LedgerWriter.loadStreams([id], $0)[id] }
    }

    /// - Parameters:
    ///   - cursor: the `nextCursor` of the previous page.
    ///   - query: matched, case-insensitively, against names, banks and the reference.
    public func list(limit: Int, cursor: Int64?, status: RemittanceStatus?, query: String?) async throws -> RemittancePage {
        precondition(limit > 0 && limit <= Limits.pageItemsMax, "limit out of range")
        return try await pool.withConnection { connection in
            // The pattern is a bound value; LIKE's own wildcards in it are escaped.
            let pattern = query.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
            let rows = try connection.query(
                """
                SELECT \(Row.columns) FROM remittances
                WHERE ($1::int8 IS NULL OR created_position < $1)
                  AND ($2::text IS NULL OR status = $2)
                  AND ($3::text IS NULL OR sender_name ILIKE $3 OR receiver_name ILIKE $3 OR sender_bank ILIKE $3
                       OR receiver_bank ILIKE $3 OR reference ILIKE $3)
                ORDER BY created_position DESC
                LIMIT $4
                """,
                [cursor, status?.rawValue, pattern, Int64(limit + 1)]
            )
            let items = try rows.prefix(limit).map { try Row(from: $0) }
            return RemittancePage(items: items.map(\.remittance), nextCursor: rows.count > limit ? items.last?.createdPosition : nil)
        }
    }

    public func events(of id: UUID) async throws -> [RecordedEvent] {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Self.eventColumns) FROM events WHERE stream_id = $1 ORDER BY stream_version", [id])
                .map(Self.recordedEvent)
        }
    }

    /// The raw log after `position`, in order: what auditors page through.
    public func events(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(Self.eventColumns) FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                [position, Int64(limit)]
            ).map(Self.recordedEvent)
        }
    }

    /// How many events lie in (after, through] and in how many append transactions they were
    /// written: each transaction stamps its events with one recorded-at time.
    public func eventsAndCommits(after: Int64, through: Int64) async throws -> (events: Int64, commits: Int64) {
        try await pool.withConnection { connection in
            let row = try connection.query(
                "SELECT count(*), count(DISTINCT recorded_at_us) FROM events WHERE position > $1 AND position <= $2", [after, through]
            )[0]
            return (try row.decode(0), try row.decode(1))
        }
    }

    /// Which of `keys` the log holds (at `epoch` only, when given): a client's acknowledged creates, found.
    public func idempotencyKeys(_ keys: [String], epoch: Int64? = nil) async throws -> Set<String> {
        try await pool.withConnection { connection in
            let sql = "SELECT idempotency_key FROM events WHERE idempotency_key = ANY($1)"
            let rows = try epoch.map { try connection.query(sql + " AND epoch = $2", [PostgresArray(keys), $0]) }
                ?? connection.query(sql, [PostgresArray(keys)])
            return Set(try rows.map { try $0.decode(0) })
        }
    }

    /// The position of each of these remittances' create.
    public func createPositions(_ ids: [UUID]) async throws -> [UUID: Int64] {
        try await pool.withConnection { connection in
            var found: [UUID: Int64] = [:]
            for row in try connection.query(
                "SELECT stream_id, position FROM events WHERE stream_id = ANY($1) AND stream_version = 1", [PostgresArray(ids)]
            ) {
                found[try row.decode(0)] = try row.decode(1)
            }
            return found
        }
    }

    public func dashboard() async throws -> Dashboard {
        try await pool.withTransaction(isolation: .repeatableRead) { connection in
            // One snapshot, so the figures agree with each other.
            var counts: [String: Int64] = [:]
            for row in try connection.query("SELECT status, count FROM dashboard_status ORDER BY status") {
                counts[try row.decode(0)] = try row.decode(1)
            }
            let currencies = try connection.query("SELECT currency, count, amount FROM dashboard_currency WHERE count > 0 ORDER BY currency")
                .map { Dashboard.CurrencyFigures(currency: try $0.decode(0), count: try $0.decode(1), amount: try $0.decode(2)) }
            let corridors = try connection.query(
                "SELECT sender_bank, receiver_bank, currency, count, amount FROM dashboard_corridor WHERE count > 0 ORDER BY count DESC, sender_bank, receiver_bank, currency LIMIT 100"
            ).map {
                Dashboard.Corridor(senderBank: try $0.decode(0), receiverBank: try $0.decode(1), currency: try $0.decode(2),
                                   count: try $0.decode(3), amount: try $0.decode(4))
            }
            let minutes = try connection.query("SELECT minute_us, created FROM (SELECT * FROM dashboard_minute ORDER BY minute_us DESC LIMIT 60) m ORDER BY minute_us")
                .map { Dashboard.Minute(minute: Date(microsecondsSince1970: try $0.decode(0)), created: try $0.decode(1)) }
            let position: Int64 = try connection.query("SELECT position FROM projection_checkpoint WHERE name = $1", [ProjectionWriter.checkpointName])[0].decode(0)
            return Dashboard(countsByStatus: counts, currencies: currencies, corridors: corridors, createdPerMinute: minutes, projectedPosition: position)
        }
    }

    /// Every `EpochStarted` of the log, oldest first: the log's epoch history.
    public static func epochs(_ connection: PostgresConnection) throws -> [EpochStarted] {
        try connection.query(
            "SELECT payload FROM events WHERE stream_id = $1 ORDER BY stream_version", [LedgerEvent.ledgerStreamID]
        ).map { row in
            guard case .epochStarted(let started) = try LedgerEvent.decode(type: "EpochStarted", payload: try row.decode(0)) else {
                throw EpochHistoryError()
            }
            return started
        }
    }

    public struct EpochHistoryError: Error, Sendable, CustomStringConvertible {
        public var description: String { "the ledger stream holds an event that is not EpochStarted" }
    }

    public static let eventColumns = "position, epoch, stream_id, stream_version, event_type, payload, metadata, recorded_at_us, hash"

    public static func recordedEvent(_ row: PostgresRow) throws -> RecordedEvent {
        RecordedEvent(
            position: try row.decode(0), epoch: try row.decode(1), streamID: try row.decode(2), streamVersion: try row.decode(3),
            type: try row.decode(4), payload: try row.decode(5), metadata: try row.decode(6),
            recordedAtMicroseconds: try row.decode(7), hash: try row.decode(8)
        )
    }
}
