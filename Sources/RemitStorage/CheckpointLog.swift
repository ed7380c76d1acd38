import Foundation
import RemitAuth
import RemitDomain
import RemitPostgres

extension IdentityStore {
    /// At the writer: signs the log's head with `key` and appends the checkpoint right after
    /// it, when `everyEvents` events were appended since the last checkpoint, or any event and
    /// `everyMicroseconds` went by; nil when none was due. A reader or a lapsed writer throws
    /// `NotWriterError` and writes nothing.
    public func signCheckpointIfDue(key: SigningKey, everyEvents: Int64, everyMicroseconds: Int64) async throws -> LedgerCheckpoint? {
        guard let privateKey = key.privateKey else { throw SigningKeyError("only this region's own key signs its checkpoints") }
        let region = self.region
        @Sendable func due(_ connection: PostgresConnection) throws -> (head: LogHead, now: Int64)? {
            try CheckpointLog.due(connection, kid: key.kid, everyEvents: everyEvents, everyMicroseconds: everyMicroseconds)
        }
        // Asked first without the region row's lock, which every append takes: most rounds
        // find nothing due and must not hold up the appender.
        guard try await pool.withConnection(due) != nil else { return nil }
        return try await append { connection -> (changes: [SystemAppend.Change], result: LedgerCheckpoint?) in
            // Asked again under the lock: nothing is appended between this read and ours.
            guard let (head, now) = try due(connection) else { return ([], nil) }
            let checkpoint = try LedgerCheckpoint.sign(region: region, head: head, atMicroseconds: now, kid: key.kid, with: privateKey)
            return ([.init(.checkpointSigned(checkpoint), actor: "system")], checkpoint)
        }.result
    }
}

/// The checkpoints in a region's log, read from the checkpoint stream.
public enum CheckpointLog {
    /// A checkpoint and the position of the event that records it.
    public struct Recorded: Sendable, Equatable {
        public var checkpoint: LedgerCheckpoint
        public var eventPosition: Int64
    }

    /// The checkpoints recorded after `position` (of the recording event), oldest first.
    public static func list(_ pool: PostgresPool, after position: Int64, limit: Int) async throws -> [Recorded] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT position, payload FROM events WHERE stream_id = $1 AND position > $2 ORDER BY stream_version LIMIT $3",
                [IdentityEvent.checkpointStreamID, position, Int64(limit)]
            ).map(recorded)
        }
    }

    /// The head to sign and the database's clock, when a checkpoint is due: the log is not
    /// empty, the key is published in it (an auditor checks the signature with the keys the log
    /// published), and since the last checkpoint `everyEvents` events came, or any event and
    /// `everyMicroseconds` went by (the checkpoint's own event alone is nothing new to sign).
    static func due(
        _ connection: PostgresConnection, kid: String, everyEvents: Int64, everyMicroseconds: Int64
    ) throws -> (head: LogHead, now: Int64)? {
        let row = try connection.query(
            "SELECT head_position, head_hash, epoch, (extract(epoch FROM clock_timestamp()) * 1000000)::int8 FROM region_state"
        )[0]
        let head = LogHead(position: try row.decode(0), hash: try row.decode(1), epoch: try row.decode(2))
        let now: Int64 = try row.decode(3)
        guard head.position > 0 else { return nil }
        guard try !connection.query("SELECT 1 FROM signing_keys WHERE kid = $1 AND logged <> 'none'", [kid]).isEmpty else { return nil }
        if let last = try last(connection) {
            guard head.position > last.eventPosition else { return nil }
            guard head.position - last.checkpoint.position >= everyEvents || now - last.checkpoint.atMicroseconds >= everyMicroseconds else { return nil }
        }
        return (head, now)
    }

    static func last(_ connection: PostgresConnection) throws -> Recorded? {
        try connection.query(
            "SELECT position, payload FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1", [IdentityEvent.checkpointStreamID]
        ).first.map(recorded)
    }

    static func recorded(_ row: PostgresRow) throws -> Recorded {
        let position: Int64 = try row.decode(0)
        guard case .identity(.checkpointSigned(let checkpoint)) = try LedgerEvent.decode(type: "CheckpointSigned", payload: try row.decode(1)) else {
            throw SigningKeyError("the checkpoint stream holds something else at position \(position)")
        }
        return Recorded(checkpoint: checkpoint, eventPosition: position)
    }
}
