import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage
import RemitWire
import ServiceLifecycle

/// The reader's side of replication: the driver of `PullLoop`. While this region is a reader,
/// it pulls segments from the other region's node from its own durable head and applies them.
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
    let source: String
    let key: ReplicationKey
    let status: ReplicationStatus
    let rejoin: Rejoin
    let onApplied: @Sendable () -> Void
    let logger: Logger

    public init(
        region: String, pool: PostgresPool, source: String, key: ReplicationKey, status: ReplicationStatus, logger: Logger,
        rejoin: @escaping Rejoin, onApplied: @escaping @Sendable () -> Void
    ) {
        self.region = region
        self.pool = pool
        self.store = SegmentStore(pool: pool)
        self.source = source
        self.key = key
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
            let request = key.signedRequest(source, pathAndQuery: ReplicationChannel.epochsPath, region: region)
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds))
            let body = try await response.body.collect(upTo: Limits.epochHistoryBytesMax)
            guard response.status == .ok else { return }
            history = try RemitJSON.decoder().decode(EpochHistory.self, from: Data(buffer: body))
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
        let taken: Bool = try await NIOThreadPool.singleton.runIfActive {
            try connection.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey])[0].decode(0)
        }
        return taken ? connection : nil
    }

    /// A pull already under way for the segment after `after`.
    struct Prefetch {
        let after: Int64
        let answer: Task<Answer, any Error>
    }

    struct Answer: Sendable {
        let status: HTTPResponseStatus
        let body: [UInt8]
        let writerHead: Int64?
        let writerHeadRecordedAt: Int64?
    }

    /// One long-poll: applies what came. While a segment is applied, the next one is already
    /// being fetched (from the position the current one ends at), so a reader far behind
    /// keeps both regions busy. True when the writer answered as expected.
    func pullOnce(_ prefetch: inout Prefetch?) async throws -> Bool {
        let (head, headRecordedAt) = try await store.head()
        let answer: Answer
        if let pending = prefetch, pending.after == head.position {
            answer = try await pending.answer.value
        } else {
            prefetch?.answer.cancel()
            answer = try await fetch(after: head.position)
        }
        prefetch = nil
        switch answer.status {
        case .noContent:
            status.contact()
            status.update {
                $0.recordHeads(reader: head.position, readerRecordedAt: headRecordedAt, writer: answer.writerHead, writerRecordedAt: answer.writerHeadRecordedAt)
            }
            return true
        case .ok:
            status.contact()
            if let next = Segment.lastPosition(of: answer.body), answer.writerHead.map({ $0 > next }) ?? false {
                prefetch = Prefetch(after: next, answer: Task { try await self.fetch(after: next) })
            }
            try await apply(answer)
            return true
        default:
            throw SegmentStoreError(description: "the writer answered \(answer.status.code): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
    }

    private func apply(_ answer: Answer) async throws {
        let started = ContinuousClock.now
        let outcome = try await store.apply(answer.body)
        let milliseconds = (ContinuousClock.now - started).milliseconds
        switch outcome {
        case .applied(let count, let newHead, let recordedAt, let uncompressed):
            status.update {
                $0.segmentsApplied += 1
                $0.eventsApplied += Int64(count)
                $0.bytesCompressed += Int64(answer.body.count)
                $0.bytesUncompressed += Int64(uncompressed)
                $0.applyMillisecondsLast = milliseconds
                $0.applyMillisecondsTotal += milliseconds
                $0.lastError = nil
                $0.recordHeads(reader: newHead.position, readerRecordedAt: recordedAt, writer: answer.writerHead, writerRecordedAt: answer.writerHeadRecordedAt)
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

    /// Asks the writer for the segment after `position`, waiting up to the long-poll limit.
    func fetch(after position: Int64) async throws -> Answer {
        let pathAndQuery = ReplicationChannel.segmentsPathAndQuery(after: position, waitMilliseconds: Limits.pullWaitMillisecondsMax)
        let response = try await HTTPClient.shared.execute(
            key.signedRequest(source, pathAndQuery: pathAndQuery, region: region),
            timeout: .milliseconds(Limits.pullWaitMillisecondsMax + Limits.pullTimeoutMarginMilliseconds)
        )
        let body = try await response.body.collect(upTo: Limits.segmentResponseBytesMax)
        return Answer(
            status: response.status, body: Array(buffer: body),
            writerHead: response.headers.first(name: ReplicationChannel.headPosition.rawName).flatMap { Int64($0) },
            writerHeadRecordedAt: response.headers.first(name: ReplicationChannel.headRecordedAt.rawName).flatMap { Int64($0) }
        )
    }
}
