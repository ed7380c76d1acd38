import Foundation
import Logging
import RemitCore
import RemitDomain
import RemitPostgres
import RemitReplication
import RemitTestSupport
import Synchronization
import Testing
@testable import RemitFailover
@testable import RemitStorage

let details = RemittanceDetails(
    senderName: "Alice", senderBank: "First Bank", senderAccount: "111", receiverName: "Bob",
    receiverBank: "Second Bank", receiverAccount: "222", amount: 10_000, currency: "EUR", reference: nil
)

extension FailoverRegion {
    /// The region's database: these tests run on real clusters.
    var pool: PostgresPool { regionControl.pool }
    var regionControl: RegionControl { control as! RegionControl }
}

/// Appends one create directly in a region's database, as any node of it would.
func append(_ pool: PostgresPool, key: String) async throws {
    _ = try await pool.withConnection { connection in
        try LedgerWriter.append(
            [.create(id: UUID(), details: details, metadata: EventMetadata(actor: "test", idempotencyKey: key, requestHash: details.fingerprint))],
            amountMax: 1_000_000, on: connection
        )
    }
}

/// Both regions' real pullers, each pulling from the other region's segment service in this
/// process (no HTTP) until cancelled: whichever region is the reader follows the writer.
func replicateBothWays(_ east: PostgresPool, _ west: PostgresPool) async {
    var logger = Logger(label: "test.puller")
    logger.logLevel = .critical
    let pullers = [("east", east, west), ("west", west, east)].map { region, reader, writer in
        let service = SegmentService(store: SegmentStore(pool: writer), commits: CommitSignal(), status: ReplicationStatus())
        return ReplicationPuller(
            region: region, pool: reader, source: LocalSegmentSource(service: service, waitMilliseconds: 2), status: ReplicationStatus(),
            logger: logger, rejoin: { _ in false }, onApplied: {}
        )
    }
    await withTaskGroup(of: Void.self) { group in
        for puller in pullers { group.addTask { try? await puller.run() } }
    }
}

func withRegions(_ body: @escaping @Sendable (FailoverRegion, FailoverRegion) async throws -> Void) async throws {
    let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
    try await withFreshPool(connectionsMax: 4) { east, _ in
        try await withFreshPool(connectionsMax: 4, west: true) { west, _ in
            try await Migrator(pool: east).apply(migrations)
            try await Migrator(pool: west).apply(migrations)
            _ = try await RegionStore(pool: east).claim(RegionName(rawValue: "east")!, initialRole: .writer)
            _ = try await RegionStore(pool: west).claim(RegionName(rawValue: "west")!, initialRole: .reader)
            try await body(
                FailoverRegion(name: RegionName(rawValue: "east")!, control: RegionControl(pool: east)),
                FailoverRegion(name: RegionName(rawValue: "west")!, control: RegionControl(pool: west))
            )
        }
    }
}

func roles(_ regions: FailoverRegion...) async throws -> [RegionRole] {
    var roles: [RegionRole] = []
    for region in regions { roles.append(try await region.control.state().role) }
    return roles
}

func epochs(_ pool: PostgresPool) async throws -> [Int64] {
    try await pool.withConnection { connection in
        try connection.query("SELECT epoch FROM events WHERE event_type = 'EpochStarted' ORDER BY position").map { try $0.decode(0) }
    }
}

@Suite("planned failover and failback")
struct PlannedFailoverTests {
    @Test("failover and failback while creates continue: one writer at a time, identical logs, epochs 1, 2, 3")
    func roundTrip() async throws {
        try await withRegions { east, west in
            let replicator = Task { await replicateBothWays(east.pool, west.pool) }
            defer { replicator.cancel() }
            for index in 0..<20 { try await append(east.pool, key: "a\(index)") }
            let steps = Mutex<[String]>([])
            let head = try await PlannedFailover(from: east, to: west).run { step in steps.withLock { $0.append("\(step.name) \(step.outcome.rawValue)") } }
            #expect(steps.withLock { $0 } == ["preflight succeeded", "fence succeeded", "drain succeeded", "promote succeeded", "route succeeded", "reverse succeeded"])
            #expect(head.epoch == 2 && head.position == 22)
            // The old writer refuses appends; the new one takes them.
            await #expect(throws: NotWriterError.self) { try await append(east.pool, key: "refused") }
            for index in 0..<10 { try await append(west.pool, key: "b\(index)") }
            // Failback: the same operation the other way.
            let back = try await PlannedFailover(from: west, to: east).run()
            #expect(back.epoch == 3 && back.position == 33)
            try await append(east.pool, key: "c0")
            await #expect(throws: NotWriterError.self) { try await append(west.pool, key: "refused-too") }
            for _ in 0..<500 {
                if try await west.control.state().head == east.control.state().head { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await west.control.state().head == east.control.state().head)
            #expect(try await LedgerReader(pool: west.pool).events(after: 0, limit: 100) == LedgerReader(pool: east.pool).events(after: 0, limit: 100))
            #expect(try await epochs(east.pool) == [1, 2, 3])
            let current = try await roles(east, west)
            #expect(current == [.writer, .reader])
        }
    }

    @Test("ten failovers back and forth while a client keeps creating: every acknowledged create exists once in both regions, epochs 1 to 11")
    func tenFailovers() async throws {
        try await withRegions { east, west in
            let replicator = Task { await replicateBothWays(east.pool, west.pool) }
            defer { replicator.cancel() }
            let acknowledged = Mutex<[String]>([])
            let stop = Mutex(false)
            // The client: each create with its own key, sent to whichever region takes it, retried
            // with the same key when refused.
            let client = Task {
                var index = 0
                while !stop.withLock({ $0 }) {
                    let key = "k\(index)"
                    for _ in 0..<500 {
                        var taken = (try? await append(east.pool, key: key)) != nil
                        if !taken { taken = (try? await append(west.pool, key: key)) != nil }
                        if taken {
                            acknowledged.withLock { $0.append(key) }
                            break
                        }
                        try? await Task.sleep(for: .milliseconds(2))
                    }
                    index += 1
                }
            }
            var regions = (east, west)
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(30))
                _ = try await PlannedFailover(from: regions.0, to: regions.1).run()
                regions = (regions.1, regions.0)
            }
            stop.withLock { $0 = true }
            await client.value
            for _ in 0..<500 {
                if try await west.control.state().head == east.control.state().head { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            let keys = acknowledged.withLock { $0 }
            #expect(keys.count > 10)
            for pool in [east.pool, west.pool] {
                let found: Int64 = try await pool.withConnection {
                    try $0.query("SELECT count(*) FROM events WHERE idempotency_key = ANY($1)", [PostgresArray(keys)])[0].decode(0)
                }
                #expect(found == Int64(keys.count), "every acknowledged create, once")
            }
            #expect(try await epochs(east.pool) == Array(1...11))
            #expect(try await LedgerReader(pool: west.pool).events(after: 0, limit: 100_000) == LedgerReader(pool: east.pool).events(after: 0, limit: 100_000))
        }
    }

    @Test("a drain that times out rolls back: the writer is unfenced, nothing else changed")
    func drainTimeout() async throws {
        try await withRegions { east, west in
            for index in 0..<5 { try await append(east.pool, key: "a\(index)") }
            let steps = Mutex<[String]>([])
            // No replication runs: the target never catches up.
            await #expect(throws: FailoverError.self) {
                try await PlannedFailover(from: east, to: west, drainTimeoutMilliseconds: 200).run { step in
                    steps.withLock { $0.append("\(step.name) \(step.outcome.rawValue)") }
                }
            }
            #expect(steps.withLock { $0 } == ["preflight succeeded", "fence succeeded", "drain failed", "rollback rolled back"])
            let current = try await roles(east, west)
            #expect(current == [.writer, .reader])
            try await append(east.pool, key: "after")
            #expect(try await epochs(east.pool) == [1])
        }
    }

    @Test("preflight refuses a target that is not a reader, or a source that is not the writer, and changes nothing")
    func preflight() async throws {
        try await withRegions { east, west in
            await #expect(throws: FailoverError.self) { try await PlannedFailover(from: west, to: east).run() }
            await #expect(throws: FailoverError.self) { try await PlannedFailover(from: east, to: east).run() }
            let current = try await roles(east, west)
            #expect(current == [.writer, .reader])
        }
    }

    @Test("a fenced writer refuses appends at once, in its own database")
    func fencing() async throws {
        try await withRegions { east, _ in
            let head = try await east.control.fence(epoch: 1)
            #expect(head.position == 1)
            await #expect(throws: NotWriterError.self) { try await append(east.pool, key: "x") }
            await #expect(throws: RegionControlError.self) { try await east.control.fence(epoch: 1) }
            try await east.control.unfence(epoch: 1)
            try await append(east.pool, key: "y")
        }
    }

    @Test("the old writer's rejoin check firing between promote and reverse: reverse finds a reader, the run's own end stands")
    func rejoinBeforeReverse() async throws {
        try await withRegions { east, west in
            try await append(east.pool, key: "a")
            let id = UUID()
            try await RunbookStore(pool: east.pool).begin(
                id: id, kind: "planned-failover", source: "east", target: "west", requestedBy: "test", abandonAfterSeconds: 60
            )
            let fenced = try await east.control.fence(epoch: 1)
            let segment = try #require(try await SegmentStore(pool: east.pool).cut(after: 0))
            _ = try await SegmentStore(pool: west.pool).apply(segment.bytes)
            _ = try await west.regionControl.promote(west.name, after: fenced)
            // What the fenced region's puller does once a second: it sees epoch 2 and rejoins.
            let report = try await RegionRejoin(pool: east.pool, region: "east").rejoinIfReplaced(
                writerEpochs: try await SegmentStore(pool: west.pool).epochs()
            )
            #expect(report?.quarantinedEvents == 0 && report?.forkPosition == fenced.position)
            try await east.control.demote(epoch: 1)
            #expect(try await roles(east, west) == [.reader, .writer])
            try await RunbookStore(pool: east.pool).finish(id, state: "succeeded", detail: "west is the writer at epoch 2")
            #expect(try await RunbookStore(pool: east.pool).executions(limit: 1, id: id).first?.state == "succeeded")
        }
    }
}

@Suite("runbook executions")
struct RunbookStoreTests {
    @Test("one execution runs at a time; its steps are kept; a run that died is marked abandoned")
    func oneAtATime() async throws {
        try await withRegions { east, _ in
            let store = RunbookStore(pool: east.pool)
            let first = UUID(), second = UUID()
            try await store.begin(id: first, kind: "planned-failover", source: "east", target: "west", requestedBy: "cli:ops", abandonAfterSeconds: 600)
            await #expect(throws: RunbookBusy.self) {
                try await store.begin(id: second, kind: "planned-failover", source: "east", target: "west", requestedBy: "cli:ops", abandonAfterSeconds: 600)
            }
            try await store.step(first, index: 0, name: "preflight", outcome: "succeeded", milliseconds: 3.5, detail: "ok")
            try await store.finish(first, state: "succeeded", detail: "west is the writer")
            try await store.begin(id: second, kind: "planned-failover", source: "west", target: "east", requestedBy: "cli:ops", abandonAfterSeconds: 600)
            // The second never ends; a later run after the bound finds it abandoned.
            try await store.begin(id: UUID(), kind: "planned-failover", source: "east", target: "west", requestedBy: "cli:ops", abandonAfterSeconds: 0)
            let executions = try await store.executions(limit: 10)
            #expect(executions.map(\.state) == ["running", "abandoned", "succeeded"])
            let one = try #require(try await store.executions(limit: 1, id: first).first)
            #expect(one.steps.map(\.name) == ["preflight"] && one.steps[0].milliseconds == 3.5 && one.endedAt != nil)
        }
    }
}

@Suite("failures injected into a failover")
struct FailoverFailureTests {
    @Test("an unreachable target fails the preflight and changes nothing")
    func unreachableTarget() async throws {
        try await withRegions { east, _ in
            let nowhere = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1)
            let unreachable = FailoverRegion(name: RegionName(rawValue: "west")!, control: RegionControl(pool: nowhere))
            let steps = Mutex<[String]>([])
            await #expect(throws: FailoverError.self) {
                try await PlannedFailover(from: east, to: unreachable).run { step in steps.withLock { $0.append("\(step.name) \(step.outcome.rawValue)") } }
            }
            #expect(steps.withLock { $0 } == ["preflight failed"])
            let role = try await east.control.state().role
            #expect(role == .writer)
            await nowhere.close()
        }
    }

    @Test("a promote that fails (the target's head is not the fenced writer's) leaves the target a reader and changes nothing")
    func promoteRefused() async throws {
        try await withRegions { east, west in
            try await append(east.pool, key: "a")
            let fenced = try await east.control.fence(epoch: 1)
            await #expect(throws: RegionControlError.self) { try await west.regionControl.promote(west.name, after: fenced) }
            let current = try await roles(east, west)
            #expect(current == [.fenced, .reader])
            #expect(try await epochs(west.pool).isEmpty)
            try await east.control.unfence(epoch: 1)
        }
    }
}
