import Foundation
import Logging
import RemitSegment
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage
import ServiceLifecycle

/// The reader's side of replication: the driver of `PullLoop`. While this region is a reader,
/// it pulls segments from the writer (a `SegmentSource`) from its own durable head and applies them.
/// One puller per region at a time: it holds a PostgreSQL advisory lock while it pulls (and
/// were two to pull anyway, the apply transaction would refuse the second copy as a replay or
/// overlap). While this region is not a reader, it hands the other region's epoch history to
/// `rejoin`, which makes it a reader if a forced failover replaced it.
public final class ReplicationPuller: Service, Sendable {
    /// The advisory lock key: "remit-replication" as a number.
    static let lockKey: Int64 = 0x72656D69745F7270

    /// Rejoins as a reader when `epochs` (the other region's history) holds a newer epoch;
    /// true when it did. RemitFailover's rejoin, given by the node.
    public typealias Rejoin = @Sendable (_ epochs: [EpochStarted]) async throws -> Bool

    let region: String
    let pool: PostgresPool
    let store: SegmentStore
    let source: any SegmentSource
    let status: ReplicationStatus
    let rejoin: Rejoin
    let onApplied: @Sendable () -> Void
    let logger: Logger

    public init(
        region: String, pool: PostgresPool, source: any SegmentSource, status: ReplicationStatus, logger: Logger,
        rejoin: @escaping Rejoin, onApplied: @escaping @Sendable () -> Void
    ) {
        self.region = region
        self.pool = pool
        self.store = SegmentStore(pool: pool)
        self.source = source
        self.status = status
        self.logger = logger
        self.rejoin = rejoin
        self.onApplied = onApplied
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var loop = PullLoop()
            var action = loop.start()
            var lock: PostgresConnection?
            var prefetch: Prefetch?
            while !Task.isCancelled {
                do {
                    switch action {
                    case .readRole:
                        action = loop.roleRead(try await RegionStore(pool: self.pool).current()?.role)
                    case .checkRejoin:
                        await self.rejoinIfReplaced()
                        action = loop.rejoinChecked()
                    case .takeLock:
                        lock = try await self.takeLock()
                        action = loop.lockTaken(lock != nil)
                    case .pull:
                        action = loop.pulled(answered: try await self.pullOnce(&prefetch))
                    case .wait(let milliseconds):
                        try await Task.sleep(for: .milliseconds(milliseconds))
                        action = loop.waited()
                    case .backOff(let milliseconds):
                        prefetch?.answer.cancel()
                        prefetch = nil
                        lock = nil  // reconnect: the lock went with a broken session
                        try await Task.sleep(for: .milliseconds(milliseconds))
                        action = loop.waited()
                    }
                    self.status.update { $0.mode = loop.mode.rawValue }
                } catch is CancellationError {
                    break
                } catch {
                    action = loop.failed()
                    self.status.update { $0.lastError = "\(error)" }
                    self.logger.warning("replication pull failed; backing off", metadata: ["error": "\(error)", "backoffMilliseconds": "\(loop.backoffMilliseconds)"])
                }
            }
            _ = lock
        }
    }

    /// Asks the other region for its epoch history and hands it to `rejoin`. The other region
    /// being unreachable is normal here (it may be the one that is down).
    func rejoinIfReplaced() async {
        let history: EpochHistory
        do {
            history = try await source.epochs()
        } catch {
            logger.debug("could not ask the other region for its epochs", metadata: ["error": "\(error)"])
            return
        }
        do {
            guard try await rejoin(history.epochs) else { return }
            status.update { $0.lastError = nil }
            onApplied()
        } catch {
            status.update { $0.lastError = "rejoin: \(error)" }
            logger.error("rejoining as a reader failed; the region stays as it is", metadata: ["error": "\(error)"])
        }
    }

    /// A session holding the region's puller lock, or nil if another session holds it.
    private func takeLock() async throws -> PostgresConnection? {
        let connection = try await pool.openUnpooledConnection(applicationName: "remit replication \(region)")
        let taken: Bool = try await pool.run(on: connection) {
            try $0.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey])[0].decode(0)
        }
        return taken ? connection : nil
    }

    /// A pull already under way for the segment after `after`.
    struct Prefetch {
        let after: Int64
        let answer: Task<PulledSegment, any Error>
    }

    /// One long-poll: applies what came. While a segment is applied, the next one is already
    /// being asked for (from the position the current one ends at): a reader far behind keeps
    /// both regions busy, and a caught-up one has its next long-poll waiting at the writer, so
    /// what commits during an apply leaves at once instead of after the apply and a round
    /// trip. True when the writer answered as expected.
    func pullOnce(_ prefetch: inout Prefetch?) async throws -> Bool {
        let (head, headRecordedAt) = try await store.head()
        let pulled: PulledSegment
        if let pending = prefetch, pending.after == head.position {
            pulled = try await pending.answer.value
        } else {
            prefetch?.answer.cancel()
            pulled = try await source.segment(after: head.position)
        }
        prefetch = nil
        status.contact()
        guard let bytes = pulled.bytes else {
            status.update {
                $0.recordHeads(reader: head.position, readerRecordedAt: headRecordedAt, writer: pulled.writerHead, writerRecordedAt: pulled.writerHeadRecordedAtMicroseconds)
            }
            return true
        }
        if let next = Segment.lastPosition(of: bytes) {
            let source = self.source
            prefetch = Prefetch(after: next, answer: Task { try await source.segment(after: next) })
        }
        try await apply(bytes, pulled)
        return true
    }

    private func apply(_ bytes: [UInt8], _ pulled: PulledSegment) async throws {
        let started = ContinuousClock.now
        let outcome = try await store.apply(bytes)
        let milliseconds = (ContinuousClock.now - started).milliseconds
        switch outcome {
        case .applied(let count, let newHead, let recordedAt, let uncompressed):
            status.update {
                $0.segmentsApplied += 1
                $0.eventsApplied += Int64(count)
                $0.bytesCompressed += Int64(bytes.count)
                $0.bytesUncompressed += Int64(uncompressed)
                $0.applyMillisecondsLast = milliseconds
                $0.applyMillisecondsTotal += milliseconds
                $0.lastError = nil
                $0.recordHeads(reader: newHead.position, readerRecordedAt: recordedAt, writer: pulled.writerHead, writerRecordedAt: pulled.writerHeadRecordedAtMicroseconds)
            }
            onApplied()
        case .rejected(let rejection):
            status.update {
                $0.segmentsRejected[rejection.slug, default: 0] += 1
                $0.lastError = rejection.description
            }
            logger.error("replication segment rejected; nothing applied", metadata: ["reason": "\(rejection)"])
            throw rejection
        }
    }
}
