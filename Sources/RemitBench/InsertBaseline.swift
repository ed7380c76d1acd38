import Foundation
import RemitPostgres

/// PostgreSQL's own ceiling here: single-row INSERT transactions (each its own durable commit)
/// from N connections, rows the size of an event.
struct InsertBaseline {
    let pool: PostgresPool
    let clients: Int
    let seconds: Int

    func run() async throws -> Double {
        try await pool.withConnection { connection in
            try connection.execute(script: "DROP TABLE IF EXISTS remit_bench_baseline; CREATE TABLE remit_bench_baseline (id bigserial PRIMARY KEY, payload bytea NOT NULL, at timestamptz NOT NULL DEFAULT now())")
        }
        let payload = [UInt8](repeating: 0x61, count: 400)
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
