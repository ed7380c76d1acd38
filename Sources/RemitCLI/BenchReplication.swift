import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitFailover
import RemitReplication
import RemitWire
import RemitCore
import RemitHTTP
import RemitPostgres
import RemitStack
import RemitStorage
import Synchronization

extension Bench {
    struct Replication: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replication lag end to end, bytes shipped per event against PostgreSQL's WAL, and catch-up speed."
        )

        @OptionGroup var stack: StackOptions

        @Option(help: "The writer region's node.")
        var writerURL = "http://127.0.0.1:8081"

        @Option(help: "The reader region's node (for its replication figures).")
        var readerURL = "http://127.0.0.1:8082"

        @Option(help: "Creates per second in the steady phase (lag is measured on each).")
        var rate = 1_000

        @Option(help: "Seconds of the steady and of the full-speed phase.")
        var seconds = 10

        @Option(help: "Concurrent clients in the full-speed phase.")
        var clients = 64

        @Option(help: "Events a fresh reader catches up on (at most what the writer's log holds).")
        var catchUpEvents = 1_000_000

        func validate() throws {
            guard (1...20_000).contains(rate) else { throw ValidationError("--rate must be 1 to 20000") }
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600") }
            guard (1...1_024).contains(clients) else { throw ValidationError("--clients must be 1 to 1024") }
            guard catchUpEvents > 0 else { throw ValidationError("--catch-up-events must be positive") }
        }

        func run() async throws {
            let regions = try stack.regionNames()
            guard regions.count >= 2 else { throw ValidationError("replication needs two regions") }
            let writerDatabase = try stack.databaseURL(regions[0])
            let readerDatabase = try stack.databaseURL(regions[1])
            let keyFile = EmbeddedStack.replicationKeyFile(dataDirectory: stack.absoluteDataDirectory)
            guard let keyHex = try? String(contentsOfFile: keyFile, encoding: .utf8), let key = ReplicationKey(hex: keyHex) else {
                throw ValidationError("no replication key in \(keyFile): start the stack with remit up")
            }
            let password = try stack.adminPassword()
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(clients, 64)))
            )
            let writer = PostgresPool(url: writerDatabase, connectionsMax: 4, applicationName: "remit bench replication")
            let reader = PostgresPool(url: readerDatabase, connectionsMax: 2, applicationName: "remit bench replication")
            do {
                let token = try await BenchSignIn.token(client: client, url: writerURL, username: "admin", password: password)
                let steady = try await steadyLag(client: client, token: token, writer: writer, reader: reader)
                let full = try await fullSpeed(token: token, writer: writer, reader: reader)
                let catchUp = try await CatchUp(
                    writerURL: writerURL, key: key, region: regions[1].rawValue, readerDatabase: readerDatabase,
                    writer: writer, eventsMax: catchUpEvents
                ).run()
                report(steady: steady, full: full, catchUp: catchUp)
            } catch {
                await writer.close()
                await reader.close()
                try? await client.shutdown()
                throw error
            }
            await writer.close()
            await reader.close()
            try await client.shutdown()
        }

        struct Lag { var p50: Double, p99: Double, max: Double, count: Int }

        /// Creates at a fixed rate; each one's lag is from its acknowledgement at the writer to
        /// the moment the reader's head reached its position.
        func steadyLag(client: HTTPClient, token: String, writer: PostgresPool, reader: PostgresPool) async throws -> Lag {
            let sampler = HeadSampler(pool: reader)
            let sampling = Task { try await sampler.run() }
            let workers = min(64, rate)
            let start = ContinuousClock.now
            let total = rate * seconds
            let acks = try await withThrowingTaskGroup(of: [(UUID, ContinuousClock.Instant)].self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var acked: [(UUID, ContinuousClock.Instant)] = []
                        var index = worker
                        while index < total {
                            try await Task.sleep(until: start + .microseconds(Int64(index) * 1_000_000 / Int64(rate)))
                            var request = HTTPClientRequest(url: writerURL + "/api/v1/remittances")
                            request.method = .POST
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.headers.add(name: "Authorization", value: "Bearer \(token)")
                            request.body = .bytes(ByteBuffer(string: AppendLoad.body(worker, index)))
                            let response = try await client.execute(request, timeout: .seconds(30))
                            let body = try await response.body.collect(upTo: 1 << 16)
                            let at = ContinuousClock.now
                            if response.status == .created, let id = Self.id(body) { acked.append((id, at)) }
                            index += workers
                        }
                        return acked
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let writerHead: Int64 = try await writer.withConnection { try $0.query("SELECT head_position FROM region_state")[0].decode(0) }
            try await sampler.waitFor(writerHead, timeoutSeconds: 60)
            sampling.cancel()
            let positions = try await writer.withConnection { connection in
                var found: [UUID: Int64] = [:]
                for row in try connection.query("SELECT stream_id, position FROM events WHERE stream_id = ANY($1) AND stream_version = 1", [PostgresArray(acks.map(\.0))]) {
                    found[try row.decode(0)] = try row.decode(1)
                }
                return found
            }
            let lags = acks.compactMap { id, ackedAt -> Double? in
                guard let position = positions[id], let visible = sampler.firstSeen(position) else { return nil }
                return max(0, (visible - ackedAt).milliseconds)
            }.sorted()
            func percentile(_ p: Double) -> Double { lags.isEmpty ? 0 : lags[min(lags.count - 1, Int(Double(lags.count) * p))] }
            return Lag(p50: percentile(0.5), p99: percentile(0.99), max: lags.last ?? 0, count: lags.count)
        }

        static func id(_ body: ByteBuffer) -> UUID? {
            struct Created: Decodable { let id: String }
            return (try? JSONDecoder().decode(Created.self, from: Data(buffer: body))).flatMap { UUID(uuidString: $0.id) }
        }

        struct FullSpeed {
            var createsPerSecond: Double
            var events: Int64
            var walBytesPerEvent: Double
            var shippedBytesPerEvent: Double
            var compressionRatio: Double
            var catchUpAfterMilliseconds: Double
        }

        /// Creates as fast as the writer takes them, measuring PostgreSQL's WAL and the bytes
        /// replication shipped for the same events.
        func fullSpeed(token: String, writer: PostgresPool, reader: PostgresPool) async throws -> FullSpeed {
            let figuresBefore = try await readerFigures(token: token)
            let (walBefore, headBefore): (String, Int64) = try await writer.withConnection { connection in
                let row = try connection.query("SELECT pg_current_wal_lsn()::text, (SELECT head_position FROM region_state)")[0]
                return (try row.decode(0), try row.decode(1))
            }
            let started = ContinuousClock.now
            _ = WrkLoad.executable != nil
                ? try WrkLoad(url: writerURL, clients: clients, seconds: seconds, script: WrkLoad.createScript(token: token)).run()
                : try await AppendLoad(client: HTTPClient.shared, url: writerURL, token: token, clients: clients, seconds: seconds).run()
            let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
            let (walBytes, headAfter): (Int64, Int64) = try await writer.withConnection { connection in
                let row = try connection.query(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::int8, (SELECT head_position FROM region_state)", [walBefore]
                )[0]
                return (try row.decode(0), try row.decode(1))
            }
            let sampler = HeadSampler(pool: reader)
            let sampling = Task { try await sampler.run() }
            let ended = ContinuousClock.now
            try await sampler.waitFor(headAfter, timeoutSeconds: 120)
            let caughtUp = (ContinuousClock.now - ended).milliseconds
            sampling.cancel()
            let figuresAfter = try await readerFigures(token: token)
            let events = headAfter - headBefore
            let shipped = Double(figuresAfter.bytesCompressed - figuresBefore.bytesCompressed)
            let raw = Double(figuresAfter.bytesUncompressed - figuresBefore.bytesUncompressed)
            return FullSpeed(
                createsPerSecond: Double(events) / elapsed, events: events, walBytesPerEvent: Double(walBytes) / Double(max(events, 1)),
                shippedBytesPerEvent: shipped / Double(max(events, 1)), compressionRatio: shipped > 0 ? raw / shipped : 0,
                catchUpAfterMilliseconds: caughtUp
            )
        }

        func readerFigures(token: String) async throws -> ReplicationFigures {
            var request = HTTPClientRequest(url: readerURL + "/api/v1/replication")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw ValidationError("the reader's /api/v1/replication answered \(response.status.code)") }
            return try JSONDecoder().decode(ReplicationFigures.self, from: Data(buffer: body))
        }

        func report(steady: Lag, full: FullSpeed, catchUp: CatchUp.Result) {
            let walRatio = full.walBytesPerEvent > 0 ? full.shippedBytesPerEvent / full.walBytesPerEvent : 0
            print(String(format: "replication lag at %d creates/s (%d creates): p50 %.1f ms, p99 %.1f ms, max %.1f ms (acknowledged at the writer → readable at the reader)",
                         rate, steady.count, steady.p50, steady.p99, steady.max))
            print(String(format: "full speed: %.0f creates/s; shipped %.0f bytes/event (LZ4 ratio %.2fx) vs PostgreSQL WAL %.0f bytes/event: %.2f of the WAL; reader caught up %.0f ms after the load stopped",
                         full.createsPerSecond, full.shippedBytesPerEvent, full.compressionRatio, full.walBytesPerEvent, walRatio, full.catchUpAfterMilliseconds))
            print(String(format: "catch-up: %lld events applied from 0 in %.1f s: %.0f events/s (%lld segments, %.0f bytes/event shipped)",
                         catchUp.events, catchUp.seconds, Double(catchUp.events) / max(catchUp.seconds, 0.001), catchUp.segments,
                         Double(catchUp.bytes) / Double(max(catchUp.events, 1))))
            let json: [String: Any] = [
                "bench": "replication", "rate": rate, "lagP50Milliseconds": steady.p50, "lagP99Milliseconds": steady.p99, "lagMaxMilliseconds": steady.max,
                "fullSpeedCreatesPerSecond": full.createsPerSecond.rounded(), "shippedBytesPerEvent": full.shippedBytesPerEvent.rounded(),
                "walBytesPerEvent": full.walBytesPerEvent.rounded(), "shippedToWalRatio": (walRatio * 100).rounded() / 100,
                "compressionRatio": (full.compressionRatio * 100).rounded() / 100, "catchUpEvents": catchUp.events,
                "catchUpEventsPerSecond": (Double(catchUp.events) / max(catchUp.seconds, 0.001)).rounded(),
            ]
            print(String(decoding: try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}

/// Watches a reader's head, remembering when each new head was first seen.
final class HeadSampler: Sendable {
    let pool: PostgresPool
    private let samples = Mutex<[(position: Int64, at: ContinuousClock.Instant)]>([])

    init(pool: PostgresPool) { self.pool = pool }

    func run() async throws {
        var last: Int64 = -1
        while !Task.isCancelled {
            let head: Int64 = try await pool.withConnection { try $0.query("SELECT head_position FROM region_state")[0].decode(0) }
            if head != last {
                let now = ContinuousClock.now
                samples.withLock { $0.append((head, now)) }
                last = head
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// When the head first reached `position`.
    func firstSeen(_ position: Int64) -> ContinuousClock.Instant? {
        samples.withLock { samples in samples.first { $0.position >= position }?.at }
    }

    func waitFor(_ position: Int64, timeoutSeconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while firstSeen(position) == nil {
            guard ContinuousClock.now < deadline else { throw ValidationError("the reader did not reach position \(position) within \(timeoutSeconds) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

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
        let database = "remit_bench_catchup"
        let administration = PostgresPool(url: readerDatabase, connectionsMax: 1, applicationName: "remit bench replication")
        try await administration.withConnection { try $0.query("DROP DATABASE IF EXISTS \(database) WITH (FORCE)"); try $0.query("CREATE DATABASE \(database)") }
        var components = URLComponents(string: readerDatabase)!
        components.path = "/" + database
        let pool = PostgresPool(url: components.string!, connectionsMax: 4, applicationName: "remit bench replication")
        do {
            try await Migrator(pool: pool).apply(try Migration.load(directory: try MigrationsDirectory.locate()))
            _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: region)!, initialRole: .reader)
            let writerHead: Int64 = try await writer.withConnection { try $0.query("SELECT head_position FROM region_state")[0].decode(0) }
            let target = min(writerHead, Int64(eventsMax))
            var logger = Logger(label: "remit.bench.catch-up")
            logger.logLevel = .warning
            let status = ReplicationStatus()
            let puller = ReplicationPuller(
                region: region, pool: pool, source: writerURL, key: key, status: status, logger: logger, rejoin: { _ in false }, onApplied: {}
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
            try await administration.withConnection { try $0.query("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
            await administration.close()
            return Result(events: head, seconds: seconds, segments: figures.segmentsApplied, bytes: figures.bytesCompressed)
        } catch {
            await pool.close()
            await administration.close()
            throw error
        }
    }
}
