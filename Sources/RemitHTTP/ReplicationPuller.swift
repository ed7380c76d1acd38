import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import RemitCore
import RemitPostgres
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
            while !Task.isCancelled {
                do {
                    guard try await RegionStore(pool: self.pool).current()?.role == .reader else {
                        self.status.update { $0.mode = "serving" }
                        try await Task.sleep(for: .seconds(1))
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
                    if try await self.pullOnce() { backoffMilliseconds = Limits.pullBackoffMillisecondsMin }
                } catch is CancellationError {
                    break
                } catch {
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

    /// A session holding the region's puller lock, or nil if another session holds it.
    private func takeLock() async throws -> PostgresConnection? {
        let connection = try await pool.openUnpooledConnection(applicationName: "remit replication \(region)")
        let taken: Bool = try await NIOThreadPool.singleton.runIfActive {
            try connection.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey])[0].decode(0)
        }
        return taken ? connection : nil
    }

    /// One long-poll: applies what came. True when the writer answered as expected.
    func pullOnce() async throws -> Bool {
        let (head, headRecordedAt) = try await store.head()
        let pathAndQuery = "/replication/v1/segments?after=\(head.position)&waitMilliseconds=\(Limits.pullWaitMillisecondsMax)"
        var request = HTTPClientRequest(url: source + pathAndQuery)
        for (name, value) in key.headers(method: "GET", pathAndQuery: pathAndQuery, region: region) {
            request.headers.add(name: name, value: value)
        }
        let response = try await HTTPClient.shared.execute(
            request, timeout: .milliseconds(Limits.pullWaitMillisecondsMax + Limits.pullTimeoutMarginMilliseconds)
        )
        let body = try await response.body.collect(upTo: SegmentLimits.responseBytesMax)
        let writerHead = response.headers.first(name: ReplicationHeaders.headPosition.rawName).flatMap { Int64($0) }
        let writerHeadRecordedAt = response.headers.first(name: ReplicationHeaders.headRecordedAt.rawName).flatMap { Int64($0) }
        switch response.status {
        case .noContent:
            status.contact()
            record(readerHead: head.position, readerRecordedAt: headRecordedAt, writerHead: writerHead, writerRecordedAt: writerHeadRecordedAt)
            return true
        case .ok:
            status.contact()
            let bytes = Array(buffer: body)
            let started = ContinuousClock.now
            let outcome = try await store.apply(bytes)
            let elapsed = ContinuousClock.now - started
            let milliseconds = Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
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
                }
                record(readerHead: newHead.position, readerRecordedAt: recordedAt, writerHead: writerHead, writerRecordedAt: writerHeadRecordedAt)
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
            throw SegmentStoreError(description: "the writer answered \(response.status.code): \(String(buffer: body).prefix(300))")
        }
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
