import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitCore
import RemitImport
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitWire
import Synchronization

/// `remit bench replication`: replication lag end to end (acknowledged at the writer → readable
/// at the reader), bytes shipped per event against PostgreSQL's WAL, and catch-up speed.
public struct ReplicationBench: Sendable {
    public var writerURL: String
    public var readerURL: String
    public var writerDatabaseURL: String
    public var readerDatabaseURL: String
    public var readerRegion: RegionName
    public var key: ReplicationKey
    public var password: String
    public var rate: Int
    public var seconds: Int
    public var clients: Int
    public var catchUpEvents: Int
    /// The nodes' `/metrics` token, for their resident memory; without it only this process's is shown.
    public var metricsToken: String?

    public init(
        writerURL: String, readerURL: String, writerDatabaseURL: String, readerDatabaseURL: String, readerRegion: RegionName,
        key: ReplicationKey, password: String, rate: Int, seconds: Int, clients: Int, catchUpEvents: Int,
        metricsToken: String?
    ) {
        self.writerURL = writerURL
        self.readerURL = readerURL
        self.writerDatabaseURL = writerDatabaseURL
        self.readerDatabaseURL = readerDatabaseURL
        self.readerRegion = readerRegion
        self.key = key
        self.password = password
        self.rate = rate
        self.seconds = seconds
        self.clients = clients
        self.catchUpEvents = catchUpEvents
        self.metricsToken = metricsToken
    }

    public func run() async throws {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(clients, 64)))
        )
        let writer = PostgresPool(url: writerDatabaseURL, connectionsMax: 4, applicationName: "remit bench replication")
        let reader = PostgresPool(url: readerDatabaseURL, connectionsMax: 2, applicationName: "remit bench replication")
        do {
            let token = try await APISignIn.token(client: client, url: writerURL, username: "admin", password: password)
            let steady = try await steadyLag(client: client, token: token, writer: writer, reader: reader)
            let loaded = ResidentMemory(nodes(("writer node", writerURL), ("reader node", readerURL)))
            let full = try await loaded.during { try await fullSpeed(token: token, writer: writer, reader: reader) }
            let catchingUp = ResidentMemory(nodes(("writer node", writerURL)) + [("this process (the catching-up puller)", .thisProcess)])
            let catchUp = try await catchingUp.during {
                try await CatchUp(
                    writerURL: writerURL, key: key, region: readerRegion.rawValue, readerDatabase: readerDatabaseURL,
                    writer: writer, eventsMax: catchUpEvents
                ).run()
            }
            report(steady: steady, full: full, catchUp: catchUp, loaded: loaded, catchingUp: catchingUp)
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

    /// Nodes whose resident memory can be sampled: none without the metrics token.
    func nodes(_ nodes: (name: String, url: String)...) -> [(name: String, source: ResidentMemory.Source)] {
        guard let metricsToken else { return [] }
        return nodes.map { ($0.name, .node(url: $0.url, metricsToken: metricsToken)) }
    }

    struct Steady {
        /// Acknowledged at the writer → the reader's head reached the create's position.
        var headLag: Percentiles
        /// Acknowledged at the writer → readable at the reader's API (by id, and in its list).
        var reader: ReaderVisibility.Figures
    }

    /// Creates at a fixed rate; each one's lag is from its acknowledgement at the writer to
    /// the moment the reader's head reached its position, and to its first 200 at the reader's API.
    func steadyLag(client: HTTPClient, token: String, writer: PostgresPool, reader: PostgresPool) async throws -> Steady {
        let sampler = HeadSampler(pool: reader)
        let sampling = Task { try await sampler.run() }
        let visibility = ReaderVisibility(client: client, url: readerURL, token: token)
        let watching = Task { try await visibility.run() }
        defer {
            sampling.cancel()
            watching.cancel()
        }
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
                        if response.status == .created, let id = Self.id(body) {
                            acked.append((id, at))
                            visibility.acknowledged(id, at: at)
                        }
                        index += workers
                    }
                    return acked
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        visibility.finish()
        let readerFigures = try await watching.value
        let writerHead = try await RegionStore(pool: writer).headPosition()
        try await sampler.waitFor(writerHead, timeoutSeconds: 60)
        let positions = try await LedgerReader(pool: writer).createPositions(acks.map(\.0))
        let lags = Percentiles(acks.compactMap { id, ackedAt -> Double? in
            guard let position = positions[id], let visible = sampler.firstSeen(position) else { return nil }
            return max(0, (visible - ackedAt).milliseconds)
        })
        return Steady(headLag: lags, reader: readerFigures)
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
        guard response.status == .ok else { throw BenchError("the reader's /api/v1/replication answered \(response.status.code)") }
        return try JSONDecoder().decode(ReplicationFigures.self, from: Data(buffer: body))
    }

    func report(steady: Steady, full: FullSpeed, catchUp: CatchUp.Result, loaded: ResidentMemory, catchingUp: ResidentMemory) {
        let walRatio = full.walBytesPerEvent > 0 ? full.shippedBytesPerEvent / full.walBytesPerEvent : 0
        let get = steady.reader.get, list = steady.reader.list, head = steady.headLag
        print(String(format: "at %d creates/s (%d acknowledged), from the writer's acknowledgement:", rate, head.count))
        print(String(format: "  → first 200 of GET /api/v1/remittances/{id} at the reader (%d sampled): p50 %.1f ms, p99 %.1f ms, max %.1f ms%@",
                     get.count, get.at(0.5), get.at(0.99), get.max, steady.reader.unseen > 0 ? " (\(steady.reader.unseen) never seen)" : ""))
        print(String(format: "  → in the reader's list and dashboard (%d sampled): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     list.count, list.at(0.5), list.at(0.99), list.max))
        print(String(format: "  → the reader's head at the create's position (its database asked every 1 ms): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     head.at(0.5), head.at(0.99), head.max))
        print(String(format: "full speed: %.0f creates/s; shipped %.0f bytes/event (LZ4 ratio %.2fx) vs PostgreSQL WAL %.0f bytes/event: %.2f of the WAL; reader caught up %.0f ms after the load stopped",
                     full.createsPerSecond, full.shippedBytesPerEvent, full.compressionRatio, full.walBytesPerEvent, walRatio, full.catchUpAfterMilliseconds))
        print(String(format: "catch-up: %lld events applied from 0 in %.1f s: %.0f events/s (%lld segments, %.0f bytes/event shipped)",
                     catchUp.events, catchUp.seconds, Double(catchUp.events) / max(catchUp.seconds, 0.001), catchUp.segments,
                     Double(catchUp.bytes) / Double(max(catchUp.events, 1))))
        print("resident memory, peak: under the \(clients)-client load: \(loaded.sources.isEmpty ? "no metrics token, nodes not read" : loaded.summary); during the catch-up: \(catchingUp.summary)")
        let json: [String: Any] = [
            "bench": "replication", "rate": rate,
            "readerGetP50Milliseconds": get.at(0.5), "readerGetP99Milliseconds": get.at(0.99), "readerGetMaxMilliseconds": get.max,
            "readerListP50Milliseconds": list.at(0.5), "readerListP99Milliseconds": list.at(0.99), "unseen": steady.reader.unseen,
            "lagP50Milliseconds": head.at(0.5), "lagP99Milliseconds": head.at(0.99), "lagMaxMilliseconds": head.max,
            "fullSpeedCreatesPerSecond": full.createsPerSecond.rounded(), "shippedBytesPerEvent": full.shippedBytesPerEvent.rounded(),
            "walBytesPerEvent": full.walBytesPerEvent.rounded(), "shippedToWalRatio": (walRatio * 100).rounded() / 100,
            "compressionRatio": (full.compressionRatio * 100).rounded() / 100, "catchUpEvents": catchUp.events,
            "catchUpEventsPerSecond": (Double(catchUp.events) / max(catchUp.seconds, 0.001)).rounded(),
            "residentMegabytesUnderLoad": loaded.megabytes, "residentMegabytesDuringCatchUp": catchingUp.megabytes,
        ]
        print(String(decoding: try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }
}
