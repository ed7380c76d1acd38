import Foundation
import RemitDomain
import RemitPostgres

/// The remittance streams' events in stream order — each stream's events together, oldest
/// first, streams in id order — read a page at a time through the log's (stream, version)
/// index. What replay and rebuild fold one stream after another, in memory bounded by a page
/// whatever the size of the log.
struct StreamOrderedEvents {
    struct Event {
        let id: UUID
        let version: Int32
        let event: LedgerEvent
        let atMicroseconds: Int64
        let position: Int64
    }

    /// Which column bounds the events read: a position, or a time of recording.
    enum Bound {
        case position(Int64)
        case recordedAtMicroseconds(Int64)
    }

    /// Calls `page` with each page of up to `pageEvents` events within `bound`; `isLast` is
    /// true on the last (a stream may continue from one page into the next).
    static func read(
        _ connection: PostgresConnection, within bound: Bound, pageEvents: Int, page: ([Event], _ isLast: Bool) throws -> Void
    ) throws {
        let (column, limit): (String, Int64) = switch bound {
        case .position(let position): ("position", position)
        case .recordedAtMicroseconds(let microseconds): ("recorded_at_us", microseconds)
        }
        var after = (id: LedgerEvent.ledgerStreamID, version: Int32(0))
        while true {
            let rows = try connection.query(
                """
                SELECT stream_id, stream_version, event_type, payload, recorded_at_us, position FROM events
                WHERE (stream_id, stream_version) > ($1, $2) AND \(column) <= $3
                  AND event_type IN ('RemittanceCreated', 'RemittanceAmended', 'RemittanceCancelled')
                ORDER BY stream_id, stream_version LIMIT $4
                """,
                [after.id, after.version, limit, Int64(pageEvents)]
            )
            let events = try rows.map { row in
                Event(
                    id: try row.decode(0), version: try row.decode(1),
                    event: try LedgerEvent.decode(type: try row.decode(2), payload: try row.decode(3)),
                    atMicroseconds: try row.decode(4), position: try row.decode(5)
                )
            }
            if let last = events.last { after = (last.id, last.version) }
            try page(events, events.count < pageEvents)
            if events.count < pageEvents { return }
        }
    }
}
