import Foundation
import RemitPostgres

/// PostgreSQL's own ceiling here: single-row INSERT transactions (each its own durable commit)
/// from N connections, rows the size of an event; from this process's libpq client, and from
/// pgbench (C, `-M prepared`, the same connections), the ceiling that does not depend on us.
struct InsertBaseline {
    let pool: PostgresPool
    let databaseURL: String
    let clients: Int
    let seconds: Int

    static let table = "CREATE TABLE remit_bench_baseline (id bigserial PRIMARY KEY, payload bytea NOT NULL, at timestamptz NOT NULL DEFAULT now())"
    static let payload = [UInt8](repeating: 0x61, count: 400)

    static var pgbench: String? {
        ["/usr/bin/pgbench", "/usr/local/bin/pgbench"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Transactions per second pgbench reached; nil when it is not installed. It runs a fixed
    /// number of transactions per connection, about `seconds` long at `expectedPerSecond`:
    /// `-T` ends on SIGALRM, which a child of this process does not get (pgbench started from
    /// here with `-T 5` was still inserting 15 minutes later).
    func runPgbench(expectedPerSecond: Double) async throws -> Double? {
        guard let executable = Self.pgbench else { return nil }
        try await pool.withConnection { try $0.execute(script: "DROP TABLE IF EXISTS remit_bench_baseline; " + Self.table) }
        let hex = Self.payload.map { String(format: "%02x", $0) }.joined()
        let scriptPath = FileManager.default.temporaryDirectory.appendingPathComponent("remit-bench-\(UUID().uuidString).sql").path
        try "INSERT INTO remit_bench_baseline (payload) VALUES ('\\x\(hex)'::bytea);\n".write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let (status, output) = try LoadTool.run(executable, [
            "-n", "-M", "prepared", "-c", String(clients), "-j", "2",
            "-t", String(max(1, Int(expectedPerSecond * Double(seconds) / Double(clients)))), "-f", scriptPath, databaseURL,
        ])
        try await pool.withConnection { try $0.execute(script: "DROP TABLE remit_bench_baseline") }
        // "tps = 21302.123456 (without initial connection time)"
        guard status == 0,
            let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst("tps = ".count).split(separator: " ")[0])
        else { throw BenchError("pgbench failed: \(output)") }
        return tps
    }

    func run() async throws -> Double {
        try await pool.withConnection { connection in
            try connection.execute(script: "DROP TABLE IF EXISTS remit_bench_baseline; " + Self.table)
        }
        let payload = Self.payload
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    try await pool.withConnection { connection in
                        var count = 0
                        while ContinuousClock.now < deadline {
                            try connection.query("INSERT INTO remit_bench_baseline (payload) VALUES ($1)", [payload])
                            count += 1
                        }
                        return count
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
        try await pool.withConnection { try $0.execute(script: "DROP TABLE remit_bench_baseline") }
        return Double(counts) / elapsed
    }
}
