import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RemitCore
import RemitPostgres
import RemitReplication
import RemitStorage
import ServiceLifecycle

/// The reader's side of replication: while this region is a reader, pulls segments from the
/// other region's node from its own durable head and applies them. One puller per region at a
/// time: it holds a PostgreSQL advisory lock while it pulls (and were two to pull anyway, the
/// apply transaction would refuse the second copy as a replay or overlap).
public final class ReplicationPuller: Service, Sendable {
    /// The advisory lock key: "remit-replication" as a number.
    static let lockKey: Int64 = 0x72656D69745F7270

    let region: String
    let pool: PostgresPool
    let store: SegmentStore
    let source: String
    let key: ReplicationKey
    let status: ReplicationStatus
    let onApplied: @Sendable () -> Void
    let logger: Logger

    public init(
        region: String, pool: PostgresPool, source: String, key: ReplicationKey, status: ReplicationStatus, logger: Logger,
        onApplied: @escaping @Sendable () -> Void
    ) {
        self.region = region
        self.pool = pool
        self.store = SegmentStore(pool: pool)
        self.source = source
        self.key = key
        self.status = status
        self.logger = logger
        self.onApplied = onApplied
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoffMilliseconds = Limits.pullBackoffMillisecondsMin
            var lock: PostgresConnection?
            var prefetch: Prefetch?
            while !Task.isCancelled {
                do {
                    guard try await RegionStore(pool: self.pool).current()?.role == .reader else {
                        self.status.update { $0.mode = "serving" }
                        await self.rejoinIfReplaced()
                        try await Task.sleep(for: .milliseconds(Limits.rejoinCheckIntervalMilliseconds))
                        continue
                    }
                    if lock == nil { lock = try await self.takeLock() }
                    guard lock != nil else {
                        // Another node of this region pulls.
                        self.status.update { $0.mode = "standby-puller" }
                        try await Task.sleep(for: .seconds(1))
                        continue
                    }
                    self.status.update { $0.mode = "pulling" }
                    if try await self.pullOnce(&prefetch) { backoffMilliseconds = Limits.pullBackoffMillisecondsMin }
                } catch is CancellationError {
                    break
                } catch {
                    prefetch?.answer.cancel()
                    prefetch = nil
                    self.status.update { $0.lastError = "\(error)" }
                    self.logger.warning("replication pull failed; backing off", metadata: ["error": "\(error)", "backoffMilliseconds": "\(backoffMilliseconds)"])
                    try? await Task.sleep(for: .milliseconds(backoffMilliseconds))
                    backoffMilliseconds = min(backoffMilliseconds * 2, Limits.pullBackoffMillisecondsMax)
                    lock = nil  // reconnect: the lock went with a broken session
                }
            }
            _ = lock
        }
    }

    /// While this region is the writer (or fenced), asks the other region whether it opened a
    /// newer epoch, which happens when a forced failover replaced this region while it was cut
    /// off; then this region quarantines what it wrote after the fork and becomes a reader.
    /// The other region being unreachable is normal here (it may be the one that is down).
    func rejoinIfReplaced() async {
        let history: EpochHistory
        do {
            let pathAndQuery = "/replication/v1/epochs"
            var request = HTTPClientRequest(url: source + pathAndQuery)
            for (name, value) in key.headers(method: "GET", pathAndQuery: pathAndQuery, region: region) {
                request.headers.add(name: name, value: value)
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds))
            let body = try await response.body.collect(upTo: Limits.epochHistoryBytesMax)
            guard response.status == .ok else { return }
            history = try RemitJSON.decoder().decode(EpochHistory.self, from: Data(buffer: body))
        } catch {
            logger.debug("could not ask the other region for its epochs", metadata: ["error": "\(error)"])
            return
        }
        do {
            guard let report = try await RegionRejoin(pool: pool, region: region).rejoinIfReplaced(writerEpochs: history.epochs) else { return }
            logger.warning("another region opened a newer epoch: rejoined as a reader", metadata: [
                "writer": "\(report.newWriter)", "epoch": "\(report.newEpoch)", "forkPosition": "\(report.forkPosition)",
                "quarantinedEvents": "\(report.quarantinedEvents)",
            ])
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
            record(readerHead: head.position, readerRecordedAt: headRecordedAt, writerHead: answer.writerHead, writerRecordedAt: answer.writerHeadRecordedAt)
            return true
        case .ok:
            status.contact()
            if let next = Segment.lastPosition(of: answer.body), answer.writerHead.map({ $0 > next }) ?? false {
                prefetch = Prefetch(after: next, answer: Task { try await self.fetch(after: next) })
            }
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
                }
                record(readerHead: newHead.position, readerRecordedAt: recordedAt, writerHead: answer.writerHead, writerRecordedAt: answer.writerHeadRecordedAt)
                onApplied()
                return true
            case .rejected(let rejection):
                status.update {
                    $0.segmentsRejected[rejection.slug, default: 0] += 1
                    $0.lastError = rejection.description
                }
                logger.error("replication segment rejected; nothing applied", metadata: ["reason": "\(rejection)"])
                throw rejection
            }
        default:
            throw SegmentStoreError(description: "the writer answered \(answer.status.code): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
    }

    /// Asks the writer for the segment after `position`, waiting up to the long-poll limit.
    func fetch(after position: Int64) async throws -> Answer {
        let pathAndQuery = "/replication/v1/segments?after=\(position)&waitMilliseconds=\(Limits.pullWaitMillisecondsMax)"
        var request = HTTPClientRequest(url: source + pathAndQuery)
        for (name, value) in key.headers(method: "GET", pathAndQuery: pathAndQuery, region: region) {
            request.headers.add(name: name, value: value)
        }
        let response = try await HTTPClient.shared.execute(
            request, timeout: .milliseconds(Limits.pullWaitMillisecondsMax + Limits.pullTimeoutMarginMilliseconds)
        )
        let body = try await response.body.collect(upTo: SegmentLimits.responseBytesMax)
        return Answer(
            status: response.status, body: Array(buffer: body),
            writerHead: response.headers.first(name: ReplicationHeaders.headPosition.rawName).flatMap { Int64($0) },
            writerHeadRecordedAt: response.headers.first(name: ReplicationHeaders.headRecordedAt.rawName).flatMap { Int64($0) }
        )
    }

    private func record(readerHead: Int64, readerRecordedAt: Int64?, writerHead: Int64?, writerRecordedAt: Int64?) {
        status.update {
            $0.readerHeadPosition = readerHead
            if let writerHead { $0.writerHeadPosition = max(writerHead, readerHead) }
            $0.lagEvents = max(0, $0.writerHeadPosition - readerHead)
            if let writerRecordedAt, let readerRecordedAt, $0.lagEvents > 0 {
                $0.lagMilliseconds = max(0, (writerRecordedAt - readerRecordedAt) / 1_000)
            } else if $0.lagEvents == 0 {
                $0.lagMilliseconds = 0
            }
        }
    }
}

/// Sizes the puller reads a segment with.
enum SegmentLimits {
    /// The largest answer read: a full segment can not compress worse than LZ4's bound.
    static let responseBytesMax = Limits.segmentBytesMax + Limits.segmentBytesMax / 128 + 4_096
}
