import Foundation
import RemitDomain
import RemitPostgres
import Synchronization

extension LedgerReplay {
    /// The dashboard as the log said it was at `asOf`: the remittances that existed then
    /// (`remittances(asOf:)`), counted as the projector counts them, cut as `LedgerReader.dashboard`
    /// cuts the live one. `projectedPosition` is the last position the figures include.
    public static func dashboard(_ pool: PostgresPool, asOf: AsOf) async throws -> Dashboard {
        let deltas = Mutex(DashboardDeltas())
        _ = try await remittances(pool, asOf: asOf) { rows in
            deltas.withLock { deltas in
                for row in rows { deltas.record(before: nil, after: ViewRow(replayed: row)) }
            }
        }
        let position: Int64 = try await pool.withConnection { connection in
            switch asOf {
            case .position(let position): return position
            case .time(let microseconds):
                return try connection.query("SELECT coalesce(max(position), 0) FROM events WHERE recorded_at_us <= $1", [microseconds])[0].decode(0)
            }
        }
        return deltas.withLock { $0.dashboard(through: position) }
    }
}

/// The view's row type, named apart from `LedgerReplay.Row` inside its extension.
typealias ViewRow = Row

extension Row {
    init(replayed row: LedgerReplay.Row) {
        // The times came from whole microseconds of the log: rounding gives them back exactly.
        func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
        remittance = row.remittance
        createdPosition = row.createdPosition
        createdAtMicroseconds = microseconds(row.remittance.createdAt)
        updatedAtMicroseconds = microseconds(row.remittance.updatedAt)
    }
}

extension DashboardDeltas {
    /// The figures as `GET /api/v1/dashboard` shows them: statuses that have remittances,
    /// currencies by code, the 100 busiest corridors, the last 60 minutes that had creates.
    func dashboard(through position: Int64) -> Dashboard {
        Dashboard(
            countsByStatus: statuses.filter { $0.value != 0 },
            currencies: currencies.filter { $0.value.count > 0 }.sorted { $0.key < $1.key }
                .map { Dashboard.CurrencyFigures(currency: $0.key, count: $0.value.count, amount: $0.value.amount) },
            corridors: corridors.filter { $0.value.count > 0 }
                .sorted { a, b in
                    a.value.count != b.value.count ? a.value.count > b.value.count
                        : (a.key.senderBank, a.key.receiverBank, a.key.currency) < (b.key.senderBank, b.key.receiverBank, b.key.currency)
                }
                .prefix(100)
                .map { Dashboard.Corridor(senderBank: $0.key.senderBank, receiverBank: $0.key.receiverBank, currency: $0.key.currency, count: $0.value.count, amount: $0.value.amount) },
            createdPerMinute: minutes.filter { $0.value > 0 }.sorted { $0.key < $1.key }.suffix(60)
                .map { Dashboard.Minute(minute: Date(microsecondsSince1970: $0.key), created: $0.value) },
            projectedPosition: position
        )
    }
}
