import Foundation
import RemitSegment
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage

/// A segment cut from the writer's log, with what the reader needs to know about the writer.
public struct CutSegment: Sendable {
    public let bytes: [UInt8]
    public let eventCount: Int
    /// The canonical records' size before compression.
    public let uncompressedBytes: Int
}

/// What applying a segment did.
public enum ApplyOutcome: Sendable, Equatable {
    case applied(events: Int, head: LogHead, lastRecordedAtMicroseconds: Int64, uncompressedBytes: Int)
    case rejected(SegmentRejection)
}

public struct SegmentStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Cuts segments from a writer's log and applies them to a reader's, each apply one
/// transaction: all of a segment or nothing.
public struct SegmentStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The region's head: position, hash, epoch, and the recorded-at time of the head event.
    public func head() async throws -> (head: LogHead, recordedAtMicroseconds: Int64?) {
        try await pool.withConnection { connection in
            let row = try connection.query("""
                SELECT s.head_position, s.head_hash, s.epoch, coalesce(e.recorded_at_us, 0)
                FROM region_state s LEFT JOIN events e ON e.position = s.head_position
                """)
            guard let row = row.first else { throw SegmentStoreError(description: "the region has not been claimed yet") }
            let recordedAt: Int64 = try row.decode(3)
            return (LogHead(position: try row.decode(0), hash: try row.decode(1), epoch: try row.decode(2)), recordedAt == 0 ? nil : recordedAt)
        }
    }

    /// The events after `position` as one segment (bounded by `Limits.segmentCutEventsMax` and
    /// `segmentBytesMax`), or nil when there are none yet.
    public func cut(after position: Int64, eventsMax: Int = Limits.segmentCutEventsMax) async throws -> CutSegment? {
        try await pool.withTransaction(isolation: .repeatableRead) { connection in
            let head: Int64 = try connection.query("SELECT head_position FROM region_state")[0].decode(0)
            guard position <= head else {
                throw SegmentStoreError(description: "asked for events after \(position), but this log ends at \(head)")
            }
            guard position < head else { return nil }
            let previousHash: [UInt8] = position == 0
                ? LedgerFormat.genesisHash
                : try connection.query("SELECT hash FROM events WHERE position = $1", [position])[0].decode(0)
            var events: [RecordedEvent] = []
            var bytes = 0
            for row in try connection.query(
                "SELECT \(LedgerReader.eventColumns) FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                [position, Int64(eventsMax)]
            ) {
                let event = try LedgerReader.recordedEvent(row)
                let recordBytes = Segment.recordBytesBound(event)
                if !events.isEmpty && bytes + recordBytes > Limits.segmentBytesMax { break }
                bytes += recordBytes
                events.append(event)
            }
            let (encoded, uncompressed) = try Segment.encodeCounting(events, previousHash: previousHash)
            return CutSegment(bytes: encoded, eventCount: events.count, uncompressedBytes: uncompressed)
        }
    }

    /// Checks and applies a segment in one transaction. A writer never applies; a segment that
    /// fails any check changes nothing and comes back as the reason.
    public func apply(_ bytes: [UInt8]) async throws -> ApplyOutcome {
        let segment: Segment
        do {
            segment = try Segment.decode(bytes)
        } catch {
            return .rejected(error)
        }
        return try await pool.withTransaction { connection in
            guard let (role, head) = try RegionStore.lockedRow(connection) else {
                throw SegmentStoreError(description: "the region has not been claimed yet")
            }
            guard role == .reader else {
                throw SegmentStoreError(description: "this region is the \(role.rawValue), not a reader: it applies no segments")
            }
            let events: [RecordedEvent]
            switch SegmentVerifier.verify(segment, after: head) {
            case .success(let verified): events = verified
            case .failure(let rejection): return .rejected(rejection)
            }
            let insert = LedgerWriter.insertStatement(events)
            try connection.query(insert.sql, insert.parameters)
            // Users, token families and keys follow the log here as at the writer.
            try IdentityProjection.apply(events, connection)
            let last = events.last!
            try connection.query(
                "UPDATE region_state SET head_position = $1, head_hash = $2, epoch = $3, updated_at = now()",
                [last.position, last.hash, last.epoch]
            )
            // The log says who opened each epoch: a reader's copy of the routing record follows
            // it, so a forced failover finds the record in the region it promotes.
            if let opened = events.last(where: { $0.streamID == LedgerEvent.ledgerStreamID }),
                case .epochStarted(let started) = try LedgerEvent.decode(type: opened.type, payload: opened.payload),
                let writer = RegionName(rawValue: started.writer)
            {
                try RoutingStore.write(RoutingRecord(epoch: started.epoch, revision: 0, activeRegion: writer, state: .active), connection)
            }
            return .applied(
                events: events.count, head: LogHead(position: last.position, hash: last.hash, epoch: last.epoch),
                lastRecordedAtMicroseconds: last.recordedAtMicroseconds, uncompressedBytes: Int(segment.header.uncompressedBytes)
            )
        }
    }

    /// Every epoch this region's log opened, oldest first.
    public func epochs() async throws -> [EpochStarted] {
        try await pool.withConnection { try LedgerReader.epochs($0) }
    }
}
