import Foundation
import RemitDomain
import RemitPostgres

/// Applies events to the views, a batch per transaction, with the checkpoint (the last position
/// applied) moved in that same transaction: a crash anywhere leaves views and checkpoint from
/// the same moment, so no event is applied twice or skipped.
public enum ProjectionWriter {
    static let checkpointName = "views"

    /// Empties every view and sets the checkpoint back to 0, so they are rebuilt from the log.
    /// DELETE, not TRUNCATE: TRUNCATE's exclusive lock would make every reader wait for the
    /// rebuild, where DELETE lets them read the old rows until the transaction commits.
    /// The checkpoint first: its row lock waits for a projector's batch in flight to commit, so
    /// the DELETEs after it (each statement a new snapshot) also take the rows that batch wrote.
    /// Last, a batch could commit the row of an event just cut off into quarantine after the
    /// DELETE had looked, and leave it in the views for good (seen once in `failover-ten.sh`).
    public static let resetViewsSQL = """
        UPDATE projection_checkpoint SET position = 0 WHERE name = 'views';
        DELETE FROM remittances; \(emptyDashboardSQL)
        """

    /// Empties the dashboard's tables (a rebuild then writes them whole).
    static let emptyDashboardSQL = """
        DELETE FROM dashboard_status; DELETE FROM dashboard_currency; DELETE FROM dashboard_corridor; DELETE FROM dashboard_minute;
        """

    /// A hook for tests: throw after applying this many events of the batch (before commit).
    struct InjectedCrash: Error {}

    /// Applies up to `limit` events after the checkpoint; returns how many, and the checkpoint after.
    static func projectBatch(_ connection: PostgresConnection, limit: Int, crashAfterEvents: Int? = nil) throws -> (applied: Int, position: Int64) {
        try connection.withTransaction { connection in
            try apply(connection, limit: limit, crashAfterEvents: crashAfterEvents)
        }
    }

    /// The views' checkpoint, locked until the caller's transaction ends: projectors of every
    /// node, and a rebuild's swap, take turns on it.
    static func lockCheckpoint(_ connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT position FROM projection_checkpoint WHERE name = $1 FOR UPDATE", [checkpointName])[0].decode(0)
    }

    /// Inside the caller's transaction: locks the checkpoint (so projectors of several nodes
    /// take turns), applies the next events, moves the checkpoint.
    static func apply(_ connection: PostgresConnection, limit: Int, crashAfterEvents: Int? = nil) throws -> (applied: Int, position: Int64) {
        let checkpoint = try lockCheckpoint(connection)
        let rows = try connection.query(
            """
            SELECT position, stream_id, stream_version, event_type, payload, recorded_at_us
            FROM events WHERE position > $1 ORDER BY position LIMIT $2
            """,
            [checkpoint, Int64(limit)]
        )
        guard !rows.isEmpty else { return (0, checkpoint) }

        // Fold the batch in memory: the state of each remittance it touches, and the deltas of
        // the dashboard figures. Then write each once.
        var touched: [UUID: Row] = [:]
        let needed = Set(try rows.map { try $0.decode(1, as: UUID.self) })
        for (id, row) in try loadRows(Array(needed), connection) { touched[id] = row }
        var deltas = DashboardDeltas()
        var last = checkpoint
        for (index, row) in rows.enumerated() {
            if let crashAfterEvents, index == crashAfterEvents { throw InjectedCrash() }
            let position: Int64 = try row.decode(0)
            let id: UUID = try row.decode(1)
            let version: Int32 = try row.decode(2)
            let event = try LedgerEvent.decode(type: try row.decode(3), payload: try row.decode(4))
            let at: Int64 = try row.decode(5)
            last = position
            let before = touched[id]
            guard let next = Row.apply(event, id: id, version: version, position: position, atMicroseconds: at, to: before) else { continue }
            deltas.record(before: before, after: next)
            touched[id] = next
        }
        // In a fixed order, so concurrent projectors would lock rows in the same order.
        try Row.save(touched.values.filter(\.isChanged).sorted { $0.createdPosition < $1.createdPosition }, connection)
        try deltas.save(connection)
        try connection.query("UPDATE projection_checkpoint SET position = $1 WHERE name = $2", [last, checkpointName])
        return (rows.count, last)
    }

    /// One primary-key lookup per id, whatever the table's statistics say (see
    /// `LedgerWriter.existingKeysSQL`: `= ANY($1)` could scan the whole view for each batch).
    private static func loadRows(_ ids: [UUID], _ connection: PostgresConnection) throws -> [(UUID, Row)] {
        try connection.query(
            "SELECT found.* FROM unnest($1::uuid[]) AS wanted(id) CROSS JOIN LATERAL (SELECT \(Row.columns) FROM remittances WHERE id = wanted.id OFFSET 0) AS found",
            [PostgresArray(ids)]
        )
            .map { let row = try Row(from: $0); return (row.remittance.id, row) }
    }
}

/// A row of the `remittances` view, with where it was created.
struct Row {
    var remittance: Remittance
    var createdPosition: Int64
    var createdAtMicroseconds: Int64
    var updatedAtMicroseconds: Int64
    var isChanged = false

    /// How many columns `columns` names (a query may select more after them).
    static let columnCount = 16
    static let columns = """
        id, version, status, sender_name, sender_bank, sender_account, receiver_name, receiver_bank, \
        receiver_account, amount, currency, reference, cancellation_reason, created_position, created_at_us, updated_at_us
        """
    static let columnNames = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }

    init(from row: PostgresRow) throws {
        let created: Int64 = try row.decode(14), updated: Int64 = try row.decode(15)
        remittance = Remittance(
            id: try row.decode(0),
            details: RemittanceDetails(
                senderName: try row.decode(3), senderBank: try row.decode(4), senderAccount: try row.decode(5),
                receiverName: try row.decode(6), receiverBank: try row.decode(7), receiverAccount: try row.decode(8),
                amount: try row.decode(9), currency: try row.decode(10), reference: try row.decode(11, as: String?.self)
            ),
            status: RemittanceStatus(rawValue: try row.decode(2)) ?? .created,
            version: try row.decode(1),
            createdAt: Date(microsecondsSince1970: created),
            updatedAt: Date(microsecondsSince1970: updated),
            cancellationReason: try row.decode(12, as: String?.self)
        )
        createdPosition = try row.decode(13)
        createdAtMicroseconds = created
        updatedAtMicroseconds = updated
    }

    init(remittance: Remittance, createdPosition: Int64, createdAtMicroseconds: Int64, updatedAtMicroseconds: Int64) {
        self.remittance = remittance
        self.createdPosition = createdPosition
        self.createdAtMicroseconds = createdAtMicroseconds
        self.updatedAtMicroseconds = updatedAtMicroseconds
    }

    static func apply(_ event: LedgerEvent, id: UUID, version: Int32, position: Int64, atMicroseconds: Int64, to row: Row?) -> Row? {
        let at = Date(microsecondsSince1970: atMicroseconds)
        guard let next = Decider.apply(event, id: id, version: version, at: at, to: row?.remittance) else { return nil }
        switch event {
        case .epochStarted, .identity: return nil
        default: break
        }
        var result = row ?? Row(remittance: next, createdPosition: position, createdAtMicroseconds: atMicroseconds, updatedAtMicroseconds: atMicroseconds)
        result.remittance = next
        result.updatedAtMicroseconds = atMicroseconds
        result.isChanged = true
        return result
    }

    /// Writes every changed row in one statement: each column travels as one array.
    static func save(_ rows: [Row], _ connection: PostgresConnection) throws {
        guard !rows.isEmpty else { return }
        let remittances = rows.map(\.remittance), details = remittances.map(\.details)
        try connection.query(
            """
            INSERT INTO remittances (\(columns))
            SELECT * FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::text[], $9::text[], $10::int8[], $11::text[], $12::text[], $13::text[],
                                 $14::int8[], $15::int8[], $16::int8[])
            ON CONFLICT (id) DO UPDATE SET
                version = EXCLUDED.version, status = EXCLUDED.status, sender_name = EXCLUDED.sender_name,
                sender_bank = EXCLUDED.sender_bank, sender_account = EXCLUDED.sender_account,
                receiver_name = EXCLUDED.receiver_name, receiver_bank = EXCLUDED.receiver_bank,
                receiver_account = EXCLUDED.receiver_account, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
                reference = EXCLUDED.reference, cancellation_reason = EXCLUDED.cancellation_reason,
                updated_at_us = EXCLUDED.updated_at_us
            """,
            [
                PostgresArray(remittances.map(\.id)), PostgresArray(remittances.map(\.version)),
                PostgresArray(remittances.map(\.status.rawValue)), PostgresArray(details.map(\.senderName)),
                PostgresArray(details.map(\.senderBank)), PostgresArray(details.map(\.senderAccount)),
                PostgresArray(details.map(\.receiverName)), PostgresArray(details.map(\.receiverBank)),
                PostgresArray(details.map(\.receiverAccount)), PostgresArray(details.map(\.amount)),
                PostgresArray(details.map(\.currency)), PostgresArray(details.map(\.reference)),
                PostgresArray(remittances.map(\.cancellationReason)), PostgresArray(rows.map(\.createdPosition)),
                PostgresArray(rows.map(\.createdAtMicroseconds)), PostgresArray(rows.map(\.updatedAtMicroseconds)),
            ]
        )
    }
}

/// Changes to the dashboard tables from one batch, summed per key, written once per key.
struct DashboardDeltas: Sendable {
    struct Figures { var count: Int64 = 0; var amount: Int64 = 0 }
    struct Corridor: Hashable { let senderBank: String; let receiverBank: String; let currency: String }

    var statuses: [String: Int64] = [:]
    var currencies: [String: Figures] = [:]
    var corridors: [Corridor: Figures] = [:]
    var minutes: [Int64: Int64] = [:]

    mutating func record(before: Row?, after: Row) {
        if let before {
            statuses[before.remittance.status.rawValue, default: 0] -= 1
            add(before.remittance, sign: -1)
        } else {
            minutes[after.createdAtMicroseconds / 60_000_000 * 60_000_000, default: 0] += 1
        }
        statuses[after.remittance.status.rawValue, default: 0] += 1
        add(after.remittance, sign: 1)
    }

    /// Adds another fold's deltas (of other remittances) to these.
    mutating func merge(_ other: DashboardDeltas) {
        func sum(_ a: Figures, _ b: Figures) -> Figures { Figures(count: a.count + b.count, amount: a.amount + b.amount) }
        statuses.merge(other.statuses, uniquingKeysWith: +)
        currencies.merge(other.currencies, uniquingKeysWith: sum)
        corridors.merge(other.corridors, uniquingKeysWith: sum)
        minutes.merge(other.minutes, uniquingKeysWith: +)
    }

    /// Amount figures count remittances that are not cancelled.
    private mutating func add(_ remittance: Remittance, sign: Int64) {
        let d = remittance.details
        // Keys are touched even for cancelled ones, so that live and rebuilt views hold the same rows.
        let counted: Int64 = remittance.status == .cancelled ? 0 : sign
        currencies[d.currency, default: Figures()].count += counted
        currencies[d.currency, default: Figures()].amount += counted * d.amount
        let corridor = Corridor(senderBank: d.senderBank, receiverBank: d.receiverBank, currency: d.currency)
        corridors[corridor, default: Figures()].count += counted
        corridors[corridor, default: Figures()].amount += counted * d.amount
    }

    func save(_ connection: PostgresConnection) throws {
        for (status, count) in statuses {
            try connection.query(
                "INSERT INTO dashboard_status (status, count) VALUES ($1, $2) ON CONFLICT (status) DO UPDATE SET count = dashboard_status.count + EXCLUDED.count",
                [status, count]
            )
        }
        for (currency, figures) in currencies {
            try connection.query(
                """
                INSERT INTO dashboard_currency (currency, count, amount) VALUES ($1, $2, $3)
                ON CONFLICT (currency) DO UPDATE SET count = dashboard_currency.count + EXCLUDED.count,
                    amount = dashboard_currency.amount + EXCLUDED.amount
                """,
                [currency, figures.count, figures.amount]
            )
        }
        for (corridor, figures) in corridors {
            try connection.query(
                """
                INSERT INTO dashboard_corridor (sender_bank, receiver_bank, currency, count, amount) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (sender_bank, receiver_bank, currency) DO UPDATE SET
                    count = dashboard_corridor.count + EXCLUDED.count, amount = dashboard_corridor.amount + EXCLUDED.amount
                """,
                [corridor.senderBank, corridor.receiverBank, corridor.currency, figures.count, figures.amount]
            )
        }
        for (minute, created) in minutes {
            try connection.query(
                "INSERT INTO dashboard_minute (minute_us, created) VALUES ($1, $2) ON CONFLICT (minute_us) DO UPDATE SET created = dashboard_minute.created + EXCLUDED.created",
                [minute, created]
            )
        }
    }
}

extension Date {
    init(microsecondsSince1970 microseconds: Int64) {
        self.init(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }
}
