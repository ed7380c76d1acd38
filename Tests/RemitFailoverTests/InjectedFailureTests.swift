import Foundation
import RemitFailover
import RemitDomain
import RemitCore
import RemitPostgres
import RemitStorage
import Testing
@testable import RemitFailover

/// Makes one statement in a region's database fail the way a real fault would (a trigger that
/// raises), so a failover meets it in the middle of its runbook.
func inject(_ pool: PostgresPool, on table: String, when condition: String = "true") async throws {
    try await pool.withConnection { connection in
        try connection.execute(script: """
            CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'injected fault: could not extend file'; END $$;
            CREATE TRIGGER injected_fault BEFORE INSERT OR UPDATE ON \(table)
                FOR EACH ROW WHEN (\(condition)) EXECUTE FUNCTION injected_fault();
            """)
    }
}

func execution(_ east: FailoverRegion, _ west: FailoverRegion, to target: FailoverRegion) -> FailoverExecution {
    FailoverExecution(
        pools: [east.name: east.pool, west.name: west.pool], target: target.name, kind: .planned,
        context: AuditContext(actor: "ops", source: "cli"), drainTimeoutMilliseconds: 5_000
    )
}

@Suite("failures injected into a running failover execution")
struct InjectedFailureTests {
    @Test("promote fails in the target's database: the old writer is unfenced, the target stays a reader, the runbook says why")
    func promoteFails() async throws {
        try await withRegions { east, west in
            let replicator = Task { await replicateBothWays(east.pool, west.pool) }
            defer { replicator.cancel() }
            for index in 0..<5 { try await append(east.pool, key: "a\(index)") }
            // West already has east's EpochStarted(1); the next one it would write is its own promote.
            while try await west.control.state().head.position < 6 { try await Task.sleep(for: .milliseconds(5)) }
            try await inject(west.pool, on: "events", when: "NEW.event_type = 'EpochStarted'")
            let id = UUID()
            await #expect(throws: FailoverError.self) { _ = try await execution(east, west, to: west).run(id: id) }

            let current = try await roles(east, west)
            #expect(current == [.writer, .reader])
            try await append(east.pool, key: "after")
            #expect(try await epochs(west.pool) == [1])
            #expect(try await west.control.routing()?.activeRegion == east.name)
            for pool in [east.pool, west.pool] {
                let record = try #require(try await RunbookStore(pool: pool).executions(limit: 1, id: id).first)
                #expect(record.state == "failed" && record.detail.contains("injected fault"))
                #expect(record.steps.map { "\($0.name) \($0.outcome)" } == [
                    "preflight succeeded", "fence succeeded", "drain succeeded", "promote failed", "rollback rolled back",
                ])
                #expect(record.steps[3].detail.contains("injected fault"))
            }
        }
    }

    @Test("an execution a cut-off region still shows running does not block the next one once another region recorded its end; one running everywhere does")
    func staleRunningExecution() async throws {
        try await withRegions { east, west in
            let replicator = Task { await replicateBothWays(east.pool, west.pool) }
            defer { replicator.cancel() }
            try await append(east.pool, key: "a")
            // An earlier execution ended while east was unreachable: west has its end, east does not.
            let earlier = UUID()
            for pool in [east.pool, west.pool] {
                try await RunbookStore(pool: pool).begin(
                    id: earlier, kind: "forced-failover", source: "west", target: "east", requestedBy: "ops", abandonAfterSeconds: 600
                )
            }
            try await RunbookStore(pool: west.pool).finish(earlier, state: "succeeded", detail: "east is the writer at epoch 1")
            _ = try await execution(east, west, to: west).run()
            let copied = try #require(try await RunbookStore(pool: east.pool).executions(limit: 1, id: earlier).first)
            #expect(copied.state == "succeeded" && copied.detail.contains("end recorded in west"))
            let current = try await roles(east, west)
            #expect(current == [.reader, .writer])

            // One that no region saw end still holds the lock: a second failover is refused.
            let running = UUID()
            try await RunbookStore(pool: west.pool).begin(
                id: running, kind: "planned-failover", source: "west", target: "east", requestedBy: "ops", abandonAfterSeconds: 600
            )
            await #expect(throws: RunbookBusy.self) { _ = try await execution(east, west, to: east).run() }
            let unchanged = try await roles(east, west)
            #expect(unchanged == [.reader, .writer])
        }
    }

    @Test("route fails after promote: the new writer keeps writing, the old one stays fenced, never two writers")
    func routeFailsAfterPromote() async throws {
        try await withRegions { east, west in
            let replicator = Task { await replicateBothWays(east.pool, west.pool) }
            defer { replicator.cancel() }
            for index in 0..<5 { try await append(east.pool, key: "a\(index)") }
            // East's copy of the routing record can not be written: the route step fails.
            try await inject(east.pool, on: "routing_record")
            let id = UUID()
            await #expect(throws: FailoverError.self) { _ = try await execution(east, west, to: west).run(id: id) }

            let current = try await roles(east, west)
            #expect(current == [.fenced, .writer])
            await #expect(throws: NotWriterError.self) { try await append(east.pool, key: "refused") }
            try await append(west.pool, key: "b0")
            // The router follows the newest copy: west's names west active at epoch 2.
            #expect(try await west.control.routing() == RoutingRecord(epoch: 2, revision: 0, activeRegion: west.name, state: .active))
            let record = try #require(try await RunbookStore(pool: west.pool).executions(limit: 1, id: id).first)
            #expect(record.state == "failed")
            #expect(record.steps.map { "\($0.name) \($0.outcome)" } == [
                "preflight succeeded", "fence succeeded", "drain succeeded", "promote succeeded", "route failed",
            ])
        }
    }
}
