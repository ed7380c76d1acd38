import Foundation
import RemitDomain
import RemitPostgres

/// The append transaction for the system streams (identity and audit): the same lock on the
/// region row, the same checks (writer, epoch, lease) and the same hash chain as a batch of
/// transfers, with the identity views changed in the same transaction. Rare next to creates,
/// so one transaction per change, outside the group commit.
public enum SystemAppend {
    public struct Change: Sendable {
        public var event: IdentityEvent
        public var actor: String

        public init(_ event: IdentityEvent, actor: String) {
            self.event = event
            self.actor = actor
        }
    }

    /// Locks the region row, lets `decide` read the views and say what to log (and what to
    /// answer), appends it after the head and commits. Throws `NotWriterError` where this
    /// region may not append, and whatever `decide` throws; nothing is written then.
    public static func append<T>(
        on connection: PostgresConnection, _ decide: (PostgresConnection) throws -> (changes: [Change], result: T)
    ) throws -> (result: T, head: LogHead?) {
        do {
            let opened = try connection.pipeline([.init("BEGIN"), .init(LedgerWriter.lockHeadSQL)])
            let head = try LedgerWriter.head(from: opened[1], connection)
            let (changes, result) = try decide(connection)
            guard !changes.isEmpty else {
                try connection.query("COMMIT")
                return (result, nil)
            }
            var versions: [UUID: Int32] = [:]
            for stream in Set(changes.map(\.event.streamID)) {
                versions[stream] = try LedgerReader.lastVersion(of: stream, connection)
            }
            var sealed: [RecordedEvent] = []
            var last = LogHead(position: head.position, hash: head.hash, epoch: head.epoch)
            for change in changes {
                let stream = change.event.streamID
                versions[stream]! += 1
                var key: String?
                if case .auditRecorded(let entry) = change.event { key = entry.idempotencyKey }
                let event = LedgerFormat.seal(
                    position: last.position + 1, epoch: head.epoch, streamID: stream, streamVersion: versions[stream]!,
                    event: .identity(change.event), metadata: EventMetadata(actor: change.actor, idempotencyKey: key),
                    recordedAtMicroseconds: head.nowMicroseconds, previousHash: last.hash
                )
                sealed.append(event)
                last = LogHead(position: event.position, hash: event.hash, epoch: head.epoch)
            }
            let insert = LedgerWriter.insertStatement(sealed)
            try connection.query(insert.sql, insert.parameters)
            try IdentityProjection.apply(sealed, connection)
            _ = try connection.pipeline([
                .init("UPDATE region_state SET head_position = $1, head_hash = $2, updated_at = now()", [last.position, last.hash]),
                .init("COMMIT"),
            ])
            return (result, last)
        } catch {
            connection.rollBack()
            throw error
        }
    }
}
