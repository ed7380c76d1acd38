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
    public var nextCursor: RemittanceCursor?
    /// How many rows match, when asked, counted up to the bound asked (one more means "more").
    public var total: Int64?
}

/// Where a page ended: the last row's sort key and its creation position.
public struct RemittanceCursor: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case number(Int64)
        case text(String)
    }

    public var value: Value
    public var position: Int64

    public init(value: Value, position: Int64) {
        self.value = value
        self.position = position
    }
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

    /// The remittance as the log said it was at `asOf`: its events up to that position (or
    /// recorded by then) folded; nil when it did not exist yet.
    public func remittance(_ id: UUID, asOf: AsOf) async throws -> Remittance? {
        let (column, bound): (String, Int64) = switch asOf {
        case .position(let position): ("position", position)
        case .time(let microseconds): ("recorded_at_us", microseconds)
        }
        return try await pool.withConnection { connection in
            var state: Remittance?
            for row in try connection.query(
                "SELECT stream_version, event_type, payload, recorded_at_us FROM events WHERE stream_id = $1 AND \(column) <= $2 ORDER BY stream_version",
                [id, bound]
            ) {
                let event = try LedgerEvent.decode(type: try row.decode(1), payload: try row.decode(2))
                state = Decider.apply(event, id: id, version: try row.decode(0), at: Date(microsecondsSince1970: try row.decode(3)), to: state)
            }
            return state
        }
    }

    /// - Parameters:
    ///   - cursor: the `nextCursor` of the previous page.
    ///   - query: matched, case-insensitively, against names, banks and the reference.
    /// A page of the table: the filter's conditions (and the older `status` and `query`
    /// parameters, which always all hold), sorted on the filter's column with the creation
    /// position breaking ties, so paging by `cursor` (the last row's key) is stable however
    /// the table grows. With `countUpTo`, also how many rows match, counted up to that many.
    public func list(
        _ filter: RemittanceFilter = RemittanceFilter(), status: RemittanceStatus? = nil, query: String? = nil,
        limit: Int, after cursor: RemittanceCursor? = nil, countUpTo: Int? = nil
    ) async throws -> RemittancePage {
        precondition(limit > 0 && limit <= Limits.pageItemsMax, "limit out of range")
        // One snapshot: the count agrees with the page.
        return try await pool.withTransaction(isolation: .repeatableRead) { connection in
            let currencies = filter.conditions.contains { $0.field == .currency && $0.op != .equals } ? try Self.currencies(connection) : []
            let sql = TableSQL(filter, status: status, query: query, limit: limit, after: cursor, currencies: currencies)
            let rows = try Self.tableQuery(sql.walk, orWithoutIndexScans: sql.sort, sql.parameters, connection)
            let items = try rows.prefix(limit).map { try Row(from: $0) }
            var next: RemittanceCursor?
            if rows.count > limit, let last = rows.prefix(limit).last, let lastItem = items.last {
                let key = Row.columnCount
                next = RemittanceCursor(
                    value: filter.sort.isNumber ? .number(try last.decode(key)) : .text(try last.decode(key)),
                    position: lastItem.createdPosition
                )
            }
            var total: Int64?
            if let countUpTo {
                let countSQL = sql.count(upTo: countUpTo)
                total = try Self.tableQuery(countSQL, orWithoutIndexScans: countSQL, sql.matchingParameters, connection)[0].decode(0)
            }
            return RemittancePage(items: items.map(\.remittance), nextCursor: next, total: total)
        }
    }

    /// The currencies of the table, each once, in the caller's snapshot: a walk that skips from
    /// one currency to the next along the currency index (a few dozen lookups, whatever the size).
    static func currencies(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            WITH RECURSIVE present(currency) AS (
                SELECT min(currency) FROM remittances
                UNION ALL
                SELECT (SELECT min(currency) FROM remittances WHERE currency > present.currency) FROM present WHERE present.currency IS NOT NULL
            )
            SELECT currency FROM present WHERE currency IS NOT NULL
            """).map { try $0.decode(0) }
    }

    /// Runs a query of the table as PostgreSQL plans it for at most
    /// `Limits.tableQueryPlannedMillisecondsMax`, then, if it is not done, `fallback` (the same
    /// question) without index scans: the matches are then found through the indexes' bitmaps
    /// (or, when no index serves, by reading the table) and sorted, which takes as long as there are matches, never
    /// longer. Inside the caller's transaction; the savepoint undoes the settings either way.
    static func tableQuery(
        _ sql: String, orWithoutIndexScans fallback: String, _ parameters: [any PostgresEncodable], _ connection: PostgresConnection,
        boundMilliseconds: Int = Limits.tableQueryPlannedMillisecondsMax
    ) throws -> PostgresRows {
        try connection.query("SAVEPOINT table_query")
        try connection.query("SET LOCAL statement_timeout = \(boundMilliseconds)")
        let rows: PostgresRows
        do {
            rows = try connection.query(sql, parameters)
        } catch {
            guard error.sqlState == .queryCanceled else { throw error }
            try undoTimeout(connection)
            try connection.query("SET LOCAL enable_indexscan = off")
            try connection.query("SET LOCAL enable_indexonlyscan = off")
            try connection.query("SET LOCAL enable_seqscan = off")  // unless no index serves
            rows = try connection.query(fallback, parameters)
        }
        try undoTimeout(connection)
        try connection.query("RELEASE SAVEPOINT table_query")
        return rows
    }

    /// Rolls back to the savepoint, which ends the short `statement_timeout` too. That rollback
    /// runs under the timeout itself: on a machine busy enough to hold a process off the CPU
    /// for longer, it is cancelled as well (seen as a 500 from the list during
    /// `remit bench replication`), so it is asked again; the next one is still bounded.
    private static func undoTimeout(_ connection: PostgresConnection) throws {
        var attempts = 1
        while true {
            do {
                try connection.query("ROLLBACK TO SAVEPOINT table_query")
                return
            } catch {
                guard error.sqlState == .queryCanceled, attempts < Limits.tableQueryRollbackAttemptsMax else { throw error }
                attempts += 1
            }
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
            let position = try Self.projectedPosition(connection)
            return Dashboard(countsByStatus: counts, currencies: currencies, corridors: corridors, createdPerMinute: minutes, projectedPosition: position)
        }
    }

    /// The last log position the views include.
    public func projectedPosition() async throws -> Int64 {
        try await pool.withConnection { try Self.projectedPosition($0) }
    }

    static func projectedPosition(_ connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT position FROM projection_checkpoint WHERE name = $1", [ProjectionWriter.checkpointName])[0].decode(0)
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

    /// The last version a stream reached in this log (0: none yet), read in the caller's
    /// transaction: the version the next event of the stream takes is one more.
    public static func lastVersion(of stream: UUID, _ connection: PostgresConnection) throws -> Int32 {
        try connection.query("SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", [stream])[0].decode(0)
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
