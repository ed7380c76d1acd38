import Foundation
import RemitCore
import RemitDomain
import RemitPostgres

/// The whole remittance table as the log said it was at a point (`remit replay --as-of`):
/// every stream's events up to that point folded, in id order, page by page, from one
/// read-only snapshot. The views are not read: this is the log's own answer.
public enum LedgerReplay {
    public struct Row: Sendable {
        public var remittance: Remittance
        /// The position of the remittance's create.
        public var createdPosition: Int64
    }

    public struct NotReached: Error, CustomStringConvertible {
        public let position: Int64
        public let head: Int64
        public var description: String { "this region's log ends at position \(head), before \(position)" }
    }

    /// Calls `emit` with each remittance that existed at `asOf`, in id order, a page at a time
    /// (`pageEvents` events read per query); returns how many.
    public static func remittances(
        _ pool: PostgresPool, asOf: AsOf, pageEvents: Int = Limits.verifyPageEvents, emit: @escaping @Sendable ([Row]) throws -> Void
    ) async throws -> Int64 {
        try await pool.withConnection { connection in
            try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.query("ROLLBACK") }
            let (column, bound): (String, Int64)
            switch asOf {
            case .position(let position):
                let head: Int64 = try connection.query("SELECT head_position FROM region_state")[0].decode(0)
                guard position <= head else { throw NotReached(position: position, head: head) }
                (column, bound) = ("position", position)
            case .time(let microseconds):
                (column, bound) = ("recorded_at_us", microseconds)
            }
            var count: Int64 = 0
            // Pages end inside a stream now and then: the stream is carried to the next page.
            var after = (id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), version: Int32(0))
            var open: (id: UUID, state: Remittance?, created: Int64)?
            while true {
                let rows = try connection.query(
                    """
                    SELECT stream_id, stream_version, event_type, payload, recorded_at_us, position FROM events
                    WHERE (stream_id, stream_version) > ($1, $2) AND \(column) <= $3
                      AND event_type IN ('RemittanceCreated', 'RemittanceAmended', 'RemittanceCancelled')
                    ORDER BY stream_id, stream_version LIMIT $4
                    """,
                    [after.id, after.version, bound, Int64(pageEvents)]
                )
                var finished: [Row] = []
                for row in rows {
                    let id: UUID = try row.decode(0), version: Int32 = try row.decode(1)
                    if let current = open, current.id != id {
                        if let state = current.state { finished.append(Row(remittance: state, createdPosition: current.created)) }
                        open = nil
                    }
                    let event = try LedgerEvent.decode(type: try row.decode(2), payload: try row.decode(3))
                    let at = Date(microsecondsSince1970: try row.decode(4))
                    let state = Decider.apply(event, id: id, version: version, at: at, to: open?.state)
                    let created: Int64 = try open?.created ?? row.decode(5)
                    open = (id, state, created)
                    after = (id, version)
                }
                if rows.count < pageEvents, let current = open, let state = current.state {
                    finished.append(Row(remittance: state, createdPosition: current.created))
                    open = nil
                }
                if !finished.isEmpty { try emit(finished) }
                count += Int64(finished.count)
                if rows.count < pageEvents { return count }
            }
        }
    }
}
