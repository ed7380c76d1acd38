import Foundation
import Logging
import RemitCore
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitWire

/// A fresh reader database, far behind: the node's own puller pulls the writer's log from
/// position 0 over the real channel (signed with the replication key) and applies it.
struct CatchUp {
    struct Result { var events: Int64, seconds: Double, segments: Int64, bytes: Int64 }

    let writerURL: String
    let key: ReplicationKey
    let region: String
    let readerDatabase: String
    let writer: PostgresPool
    let eventsMax: Int

    func run() async throws -> Result {
        let scratch = try ScratchDatabase(name: "remit_bench_catchup", beside: readerDatabase, applicationName: "remit bench replication")
        try await scratch.create()
        let pool = PostgresPool(url: scratch.url, connectionsMax: 4, applicationName: "remit bench replication")
        do {
            try await Migrator(pool: pool).apply(try Migration.load(directory: try MigrationsDirectory.locate()))
            _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: region)!, initialRole: .reader)
            let writerHead = try await RegionStore(pool: writer).headPosition()
            let target = min(writerHead, Int64(eventsMax))
            var logger = Logger(label: "remit.bench.catch-up")
            logger.logLevel = .warning
            let status = ReplicationStatus()
            let puller = ReplicationPuller(
                region: region, pool: pool, source: HTTPSegmentSource(baseURL: writerURL, key: key, region: region), status: status, logger: logger, rejoin: { _ in false }, onApplied: {}
            )
            let started = ContinuousClock.now
            let pulling = Task { try await puller.run() }
            let store = SegmentStore(pool: pool)
            var head: Int64 = 0
            while head < target {
                try await Task.sleep(for: .milliseconds(10))
                head = try await store.head().head.position
                guard pulling.isCancelled == false else { break }
            }
            let seconds = (ContinuousClock.now - started).milliseconds / 1_000
            pulling.cancel()
            _ = try? await pulling.value
            let figures = status.current
            await pool.close()
            try await scratch.drop()
            await scratch.close()
            return Result(events: head, seconds: seconds, segments: figures.segmentsApplied, bytes: figures.bytesCompressed)
        } catch {
            await pool.close()
            await scratch.close()
            throw error
        }
    }
}
