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

    /// A range of stream ids, in PostgreSQL's order of them (their bytes'): from `from`, up to
    /// but not including `before` (to the last when nil).
    struct Streams: Sendable {
        var from = LedgerEvent.ledgerStreamID
        var before: UUID?

        static let all = Streams()

        /// `count` ranges, about equal for random ids, cut on the first byte.
        static func split(_ count: Int) -> [Streams] {
            precondition((1...256).contains(count), "ranges are cut on the first byte")
            let starts = (0..<count).map { UUID(uuid: (UInt8(256 * $0 / count), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) }
            return starts.indices.map { Streams(from: starts[$0], before: $0 + 1 < count ? starts[$0 + 1] : nil) }
        }
    }

    /// Calls `page` with each page of up to `pageEvents` events of `streams` within `bound`;
    /// `isLast` is true on the last (a stream may continue from one page into the next).
    static func read(
        _ connection: PostgresConnection, within bound: Bound, streams: Streams = .all, pageEvents: Int,
        page: ([Event], _ isLast: Bool) throws -> Void
    ) throws {
        let (column, limit): (String, Int64) = switch bound {
        case .position(let position): ("position", position)
        case .recordedAtMicroseconds(let microseconds): ("recorded_at_us", microseconds)
        }
        // Versions start at 1: (from, 0) is before the first event of the stream `from`.
        var after = (id: streams.from, version: Int32(0))
        let upTo = streams.before.map { _ in "AND stream_id < $5" } ?? ""
        while true {
            var parameters: [any PostgresEncodable] = [after.id, after.version, limit, Int64(pageEvents)]
            if let before = streams.before { parameters.append(before) }
            let rows = try connection.query(
                """
                SELECT stream_id, stream_version, event_type, payload, recorded_at_us, position FROM events
                WHERE (stream_id, stream_version) > ($1, $2) AND \(column) <= $3 \(upTo)
                  AND event_type IN ('RemittanceCreated', 'RemittanceAmended', 'RemittanceCancelled')
                ORDER BY stream_id, stream_version LIMIT $4
                """,
                parameters
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
