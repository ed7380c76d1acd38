import Foundation
import Logging
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage

/// What a rejoin did.
public struct RejoinReport: Sendable, Equatable {
    /// The last position both logs share; the new writer's epoch starts after it.
    public var forkPosition: Int64
    /// The epoch the new writer opened there.
    public var newEpoch: Int64
    public var newWriter: String
    /// Events moved from the log into quarantine (they were after the fork).
    public var quarantinedEvents: Int
}

/// A region that was the writer (or was fenced) finds that another region opened a newer
/// epoch: a forced failover happened while it was cut off. In one transaction on the locked
/// region row it checks that both logs agree up to the fork point (same epoch history, same
/// hash at the fork), moves every event after the fork into `quarantined_events`, and becomes
/// a reader at the fork point, from where it pulls the new writer's log.
public struct RegionRejoin: Sendable {
    public let pool: PostgresPool
    public let region: String

    public init(pool: PostgresPool, region: String) {
        self.pool = pool
        self.region = region
    }

    /// Rejoins if `writerEpochs` (the other region's history) has an epoch newer than this
    /// region's; nil when it has not (nothing changed).
    public func rejoinIfReplaced(writerEpochs: [EpochStarted]) async throws -> RejoinReport? {
        let region = self.region
        return try await pool.withTransaction { connection in
            guard let (role, head) = try RegionStore.lockedRow(connection),  // nil: not claimed yet
                let fork = RejoinFork.find(role: role, epoch: head.epoch, localHead: head.position, writerEpochs: writerEpochs)
            else { return nil }
            try fork.check(localEpochs: try LedgerReader.epochs(connection), writerEpochs: writerEpochs)
            var quarantined = 0
            if fork.cutsTail {
                try fork.check(hashAtFork: fork.position == 0
                    ? LedgerFormat.genesisHash : try connection.query("SELECT hash FROM events WHERE position = $1", [fork.position])[0].decode(0))
                // The one way out of the log: the trigger copies each row into quarantine first.
                try connection.query("SELECT set_config('remit.quarantine_after', $1, true)", [String(fork.position)])
                quarantined = try connection.query("DELETE FROM events WHERE position > $1 RETURNING position", [fork.position]).count
                try connection.query("SELECT set_config('remit.quarantine_after', '', true)")
                // The views counted what was cut off: rebuild them from the log.
                try connection.execute(script: ProjectionWriter.resetViewsSQL)
                try IdentityProjection.rebuild(connection)
            }
            let newer = fork.newer
            let at = fork.readerHead
            let headRow = try connection.query(
                "SELECT epoch, hash FROM events WHERE position = $1", [at]
            ).first
            try connection.query(
                """
                UPDATE region_state SET role = 'reader', epoch = $1, head_position = $2, head_hash = $3,
                    lease_expires_at = NULL, updated_at = now()
                """,
                [try headRow?.decode(0, as: Int64.self) ?? 0, at, try headRow?.decode(1, as: [UInt8].self) ?? LedgerFormat.genesisHash]
            )
            // An execution this region shows running lost this region when it was cut off (its
            // own begin may have reached the database just before): its end is in the new
            // writer's record, and here it must not hold the one-at-a-time lock any longer.
            try connection.query(
                """
                UPDATE runbook_executions SET state = 'abandoned', ended_at = clock_timestamp(),
                    detail = 'this region was cut off while it ran; its end is recorded in ' || $1
                WHERE state = 'running'
                """,
                [newer.writer]
            )
            if let writer = RegionName(rawValue: newer.writer) {
                try RoutingStore.write(RoutingRecord(epoch: newer.epoch, revision: 0, activeRegion: writer, state: .active), connection)
            }
            try AuditLog.append(
                connection, region: region, context: AuditContext(actor: "system", source: "rejoin"), action: "rejoin",
                target: region, outcome: .succeeded,
                detail: "\(newer.writer) opened epoch \(newer.epoch) after position \(fork.position); \(quarantined) events moved to quarantine"
            )
            return RejoinReport(forkPosition: fork.position, newEpoch: newer.epoch, newWriter: newer.writer, quarantinedEvents: quarantined)
        }
    }
}

extension RegionRejoin {
    /// The puller's rejoin check (`ReplicationPuller.Rejoin`): rejoins when `writerEpochs`
    /// holds a newer epoch and says so in the log; true when it did.
    public func rejoin(_ writerEpochs: [EpochStarted], logger: Logger) async throws -> Bool {
        guard let report = try await rejoinIfReplaced(writerEpochs: writerEpochs) else { return false }
        logger.warning("another region opened a newer epoch: rejoined as a reader", metadata: [
            "writer": "\(report.newWriter)", "epoch": "\(report.newEpoch)", "forkPosition": "\(report.forkPosition)",
            "quarantinedEvents": "\(report.quarantinedEvents)",
        ])
        return true
    }
}
