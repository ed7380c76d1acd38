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
        var parameters: [any PostgresEncodable] = []
        func bind(_ value: any PostgresEncodable) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        var required: [String] = []
        if let status { required.append("status = \(bind(status.rawValue))") }
        if let query {
            let pattern = bind(Self.containsPattern(query))
            required.append("(sender_name ILIKE \(pattern) OR receiver_name ILIKE \(pattern) OR sender_bank ILIKE \(pattern) OR receiver_bank ILIKE \(pattern) OR reference ILIKE \(pattern))")
        }
        let conditions = filter.conditions.map { condition -> String in
            let column = Self.column(condition.field)
            switch condition.op {
            case .contains: return "\(column) ILIKE \(bind(Self.containsPattern(condition.value)))"
            case .notContains: return "\(column) NOT ILIKE \(bind(Self.containsPattern(condition.value)))"
            case .equals: return "\(column) = \(condition.field.isNumber ? bind(Int64(condition.value)!) : bind(condition.value))"
            case .notEquals: return "\(column) <> \(condition.field.isNumber ? bind(Int64(condition.value)!) : bind(condition.value))"
            }
        }
        if !conditions.isEmpty { required.append("(" + conditions.joined(separator: filter.matchAll ? " AND " : " OR ") + ")") }
        let matching = required.isEmpty ? "true" : required.joined(separator: " AND ")
        let sortColumn = Self.column(filter.sort), direction = filter.descending ? "DESC" : "ASC"
        var paged = matching
        if let cursor {
            let value: any PostgresEncodable = switch cursor.value {
            case .number(let number): number
            case .text(let text): text
            }
            paged += " AND (\(sortColumn), created_position) \(filter.descending ? "<" : ">") (\(bind(value)), \(bind(cursor.position)))"
        }
        let sql = """
            SELECT \(Row.columns), \(sortColumn) FROM remittances WHERE \(paged)
            ORDER BY \(sortColumn) \(direction), created_position \(direction) LIMIT \(bind(Int64(limit + 1)))
            """
        // The count takes only the filter's own parameters (no cursor, no limit): every match counts.
        let all = parameters, countBound = Array(parameters.dropLast(cursor == nil ? 1 : 3))
        return try await pool.withConnection { connection in
            let rows = try connection.query(sql, all)
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
                total = try connection.query(
                    "SELECT count(*) FROM (SELECT 1 FROM remittances WHERE \(matching) LIMIT \(countUpTo + 1)) AS matches", countBound
                )[0].decode(0)
            }
            return RemittancePage(items: items.map(\.remittance), nextCursor: next, total: total)
        }
    }

    /// The SQL for a field: a nullable reference sorts and matches as empty; creation sorts by
    /// its position in the log (the order the ledger decided), so it needs no second key.
    static func column(_ field: RemittanceFilter.Field) -> String {
        switch field {
        case .id: "id::text"
        case .status: "status"
        case .senderName: "sender_name"
        case .senderBank: "sender_bank"
        case .senderAccount: "sender_account"
        case .receiverName: "receiver_name"
        case .receiverBank: "receiver_bank"
        case .receiverAccount: "receiver_account"
        case .amount: "amount"
        case .currency: "currency"
        case .reference: "coalesce(reference, '')"
        case .createdAt: "created_position"
        case .updatedAt: "updated_at_us"
        }
    }

    /// A case-insensitive substring pattern; LIKE's own wildcards in the text are escaped.
    static func containsPattern(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
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
