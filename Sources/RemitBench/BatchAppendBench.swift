import AsyncHTTPClient
import Foundation
import NIOCore
import RemitCore
import RemitImport
import RemitPostgres
import RemitStorage
import Synchronization

/// `remit bench append --batch N`: durable creates per second sent as batches of N through
/// `POST /api/v1/remittance-batches` (what the log gained, not what the clients counted),
/// against PostgreSQL's `COPY` of exactly the rows the run wrote, N rows per COPY (each its
/// own durable commit) from as many connections, into a table like `events`, in the same run.
public struct BatchAppendBench: Sendable {
    public var url: String
    public var clients: Int
    public var seconds: Int
    public var batch: Int
    public var databaseURL: String
    public var username: String
    public var password: String

    public init(url: String, clients: Int, seconds: Int, batch: Int, databaseURL: String, username: String, password: String) {
        (self.url, self.clients, self.seconds, self.batch) = (url, clients, seconds, batch)
        (self.databaseURL, self.username, self.password) = (databaseURL, username, password)
    }

    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let pool = PostgresPool(url: databaseURL, connectionsMax: clients, applicationName: "remit bench")
        do {
            let token = try await APISignIn.token(client: client, url: url, username: username, password: password)
            let start = try await RegionStore(pool: pool).headPosition()
            let started = ContinuousClock.now
            let load = try await post(client: client, token: token)
            let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
            let end = try await RegionStore(pool: pool).headPosition()
            let created = end - start
            let copied = try await copyBaseline(pool, after: start, through: end)
            let apiRate = Double(created) / elapsed, copyRate = Double(created) / copied
            let latencies = Percentiles(load.latencies)
            print(String(
                format: "append --batch %d: %.0f durable creates/s through POST /api/v1/remittance-batches (%d clients, %d s, %lld created, %d requests, p50 %.1f ms, p99 %.1f ms per batch, %d errors); PostgreSQL COPY of the same rows, %d per COPY from %d connections: %.0f rows/s; ratio %.2fx",
                batch, apiRate, clients, seconds, created, latencies.count, latencies.at(0.5), latencies.at(0.99), load.errors, batch, clients, copyRate,
                copyRate > 0 ? apiRate / copyRate : 0
            ))
            let json: [String: Any] = [
                "bench": "append-batch", "batch": batch, "clients": clients, "seconds": seconds, "createsPerSecond": apiRate.rounded(),
                "copyRowsPerSecond": copyRate.rounded(), "ratio": ((copyRate > 0 ? apiRate / copyRate : 0) * 100).rounded() / 100,
                "p50Milliseconds": latencies.at(0.5), "p99Milliseconds": latencies.at(0.99), "errors": load.errors,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        } catch {
            await pool.close()
            try? await client.shutdown()
            throw error
        }
        await pool.close()
        try await client.shutdown()
    }

    /// Each client posts batches of `batch` creates, every item with a key of its own, until
    /// the time is up; a batch counts when every item was created.
    private func post(client: HTTPClient, token: String) async throws -> (latencies: [Double], errors: Int) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let run = UUID().uuidString.prefix(8)
        return try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for clientIndex in 0..<clients {
                group.addTask {
                    var latencies: [Double] = [], errors = 0, sequence = 0
                    while ContinuousClock.now < deadline {
                        let items = (0..<batch).map { _ in
                            sequence += 1
                            return #"{"idempotencyKey":"bench-\#(run)-\#(clientIndex)-\#(sequence)","remittance":\#(AppendLoad.body(clientIndex, sequence))}"#
                        }
                        var request = HTTPClientRequest(url: url + "/api/v1/remittance-batches")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.body = .bytes(ByteBuffer(string: #"{"items":["# + items.joined(separator: ",") + "]}"))
                        let sent = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(60))
                            let body = try await response.body.collect(upTo: 16 << 20)
                            struct Counts: Decodable { let created: Int }
                            if response.status == .ok, try JSONDecoder().decode(Counts.self, from: Data(buffer: body)).created == batch {
                                latencies.append((ContinuousClock.now - sent).milliseconds)
                            } else {
                                errors += 1
                            }
                        } catch {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            return try await group.reduce(into: ([Double](), 0)) { total, one in
                total.0 += one.0
                total.1 += one.1
            }
        }
    }

    /// Seconds PostgreSQL takes to COPY the events at (`after`, `through`] into a table like
    /// `events` (its indexes included), `batch` rows per COPY, from `clients` connections.
    private func copyBaseline(_ pool: PostgresPool, after: Int64, through: Int64) async throws -> Double {
        let columns = ["position", "epoch", "stream_id", "stream_version", "event_type", "payload", "metadata",
                       "idempotency_key", "idempotency_scope", "recorded_at_us", "hash"]
        let rows: [[any PostgresEncodable]] = try await pool.withConnection { connection in
            try connection.execute(script: "DROP TABLE IF EXISTS remit_bench_copy; CREATE TABLE remit_bench_copy (LIKE events INCLUDING ALL)")
            return try connection.query(
                "SELECT \(columns.joined(separator: ", ")) FROM events WHERE position > $1 AND position <= $2 ORDER BY position", [after, through]
            ).map { row -> [any PostgresEncodable] in
                [try row.decode(0, as: Int64.self), try row.decode(1, as: Int64.self), try row.decode(2, as: UUID.self), try row.decode(3, as: Int32.self),
                 try row.decode(4, as: String.self), try row.decode(5, as: [UInt8].self), try row.decode(6, as: [UInt8].self),
                 try row.decode(7, as: String?.self), try row.decode(8, as: String?.self), try row.decode(9, as: Int64.self),
                 try row.decode(10, as: [UInt8].self)]
            }
        }
        let chunks = stride(from: 0, to: rows.count, by: batch).map { rows[$0..<min($0 + batch, rows.count)] }
        let next = NextChunk()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    try await pool.withConnection { connection in
                        while case let index = next.take(), index < chunks.count {
                            try connection.copy(into: "remit_bench_copy", columns: columns, rows: chunks[index])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
        try await pool.withConnection { try $0.execute(script: "DROP TABLE remit_bench_copy") }
        return elapsed
    }
}

/// Hands out chunk indexes to the COPY connections.
private final class NextChunk: Sendable {
    private let counter = Mutex(0)
    func take() -> Int {
        counter.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
