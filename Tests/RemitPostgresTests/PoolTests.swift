import Foundation
import RemitTestSupport
import Testing
@testable import RemitPostgres

@Suite("connection pool")
struct PoolTests {
    @Test("never opens more than its bound under four times as many concurrent users")
    func boundHolds() async throws {
        try await withFreshPool(connectionsMax: 4) { pool, url in
            let observer = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit pool observer")
            // Each task gives the most sessions it saw at the server (users see none).
            let sessionsSeen = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        for _ in 0..<3 {
                            try await pool.withConnection { try $0.query("SELECT pg_sleep(0.02)") }
                        }
                        return 0
                    }
                }
                // Count the pool's sessions at the server while the users run.
                group.addTask {
                    var most: Int64 = 0
                    for _ in 0..<10 {
                        let sessions = try await observer.withConnection { connection in
                            try connection.query(
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
                                ["remit tests"]
                            )[0].decode(0, as: Int64.self)
                        }
                        most = max(most, sessions)
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    return most
                }
                return try await group.reduce(0) { max($0, $1) }
            }
            await observer.close()
            let statistics = pool.statistics
            #expect(statistics.lentHighWater == 4, "16 users should have kept all 4 connections busy")
            #expect(statistics.open <= 4)
            #expect(statistics.lent == 0)
            #expect(statistics.waiting == 0)
            #expect(statistics.waitsTotal > 0 && statistics.waitSecondsTotal > 0, "users beyond the 4 connections waited")
            #expect(statistics.acquireTimeoutsTotal == 0 && statistics.errorsTotal.isEmpty)
            #expect(sessionsSeen <= 4)
        }
    }

    @Test("a connection the server killed is replaced, not lent again")
    func brokenConnectionReplaced() async throws {
        try await withFreshPool(connectionsMax: 1) { pool, _ in
            let pid = try await pool.withConnection { $0.backendProcessID }
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT pg_terminate_backend(pg_backend_pid())") }
            }
            let newPID = try await pool.withConnection { $0.backendProcessID }
            #expect(newPID != pid)
            #expect(pool.statistics.errorsTotal.values.reduce(0, +) == 1, "the broken query is counted as one error")
            #expect(try await pool.withConnection { try $0.query("SELECT 1")[0].decode(0, as: Int32.self) } == 1)
        }
    }

    @Test("a waiter gives up after the acquire timeout with a typed error")
    func acquireTimeout() async throws {
        try await TestDatabase.withFresh { url in
            let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit tests", acquireTimeoutMilliseconds: 100)
            async let holder: Void = pool.withConnection { _ = try $0.query("SELECT pg_sleep(1)") }
            try await Task.sleep(for: .milliseconds(200))
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { _ in }
            }
            #expect(error.code == .poolTimeout)
            let statistics = pool.statistics
            #expect(statistics.waitsTotal == 1 && statistics.acquireTimeoutsTotal == 1)
            #expect(statistics.errorsTotal == ["poolTimeout": 1])
            try await holder
            await pool.close()
        }
    }

    @Test("a closed pool refuses new work")
    func closedPool() async throws {
        try await TestDatabase.withFresh { url in
            let pool = PostgresPool(url: url, connectionsMax: 1)
            await pool.close()
            let error = try await #require(throws: PostgresError.self) { try await pool.withConnection { _ in } }
            #expect(error.code == .poolClosed)
        }
    }

    @Test("bookkeeping: opens up to the bound, then queues; a dropped connection frees its place")
    func stateTransitions() throws {
        var state = PoolState(connectionsMax: 2)
        guard case .open = try state.acquire(), case .open = try state.acquire() else {
            Issue.record("the first two acquires should open connections")
            return
        }
        guard case .wait = try state.acquire() else {
            Issue.record("the third acquire should wait")
            return
        }
        #expect(state.release(nil) == nil)  // a broken connection, no parked waiter: place freed
        #expect(state.statistics.open == 1)
        #expect(state.statistics.lent == 1)
        guard case .open = try state.acquire() else {
            Issue.record("a freed place should be opened again")
            return
        }
        #expect(state.statistics.lentHighWater == 2)
        _ = state.close()
        #expect(throws: PostgresError.self) { try state.acquire() }
    }
}
