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
            let bound: StreamOrderedEvents.Bound
            switch asOf {
            case .position(let position):
                let head: Int64 = try connection.query("SELECT head_position FROM region_state")[0].decode(0)
                guard position <= head else { throw NotReached(position: position, head: head) }
                bound = .position(position)
            case .time(let microseconds):
                bound = .recordedAtMicroseconds(microseconds)
            }
            var count: Int64 = 0
            // Pages end inside a stream now and then: the stream is carried to the next page.
            var open: (id: UUID, state: Remittance?, created: Int64)?
            try StreamOrderedEvents.read(connection, within: bound, pageEvents: pageEvents) { events, isLast in
                var finished: [Row] = []
                for event in events {
                    if let current = open, current.id != event.id {
                        if let state = current.state { finished.append(Row(remittance: state, createdPosition: current.created)) }
                        open = nil
                    }
                    let at = Date(microsecondsSince1970: event.atMicroseconds)
                    let state = Decider.apply(event.event, id: event.id, version: event.version, at: at, to: open?.state)
                    open = (event.id, state, open?.created ?? event.position)
                }
                if isLast, let current = open, let state = current.state {
                    finished.append(Row(remittance: state, createdPosition: current.created))
                    open = nil
                }
                if !finished.isEmpty { try emit(finished) }
                count += Int64(finished.count)
            }
            return count
        }
    }
}
