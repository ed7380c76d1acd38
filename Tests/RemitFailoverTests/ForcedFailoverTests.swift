import Foundation
import RemitFailover
import RemitCore
import RemitDomain
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitAuth
import RemitTestSupport
import Synchronization
import Testing
@testable import RemitFailover
@testable import RemitStorage

/// Ships what `to` lacks of `from`'s log in one segment, as the reader's puller would.
func replicateOnce(from: PostgresPool, to: PostgresPool) async throws {
    let head = try await RegionControl(pool: to).state().head
    guard let segment = try await SegmentStore(pool: from).cut(after: head.position) else { return }
    _ = try await SegmentStore(pool: to).apply(segment.bytes)
}

/// The old writer's region as a forced failover sees it when its database is gone.
func unreachable(_ name: String) -> FailoverRegion {
    FailoverRegion(
        name: RegionName(rawValue: name)!,
        control: RegionControl(pool: PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1))
    )
}

func idempotencyKeys(_ pool: PostgresPool) async throws -> [String] {
    try await pool.withConnection { connection in
        try connection.query("SELECT idempotency_key FROM events WHERE idempotency_key IS NOT NULL ORDER BY position").map { try $0.decode(0) }
    }
}

/// What a region's audit trail holds: the log's entries, then those waiting in its outbox.
func auditActions(_ pool: PostgresPool) async throws -> [String] {
    let store = IdentityStore(pool: pool, region: "?")
    return try await store.auditRecords(after: 0, limit: 1_000).map(\.action) + store.outbox(limit: 1_000).map(\.action)
}

@Suite("write lease")
struct WriteLeaseTests {
    @Test("a writer appends only while its lease holds; a renewal restores it; only the writer at the epoch is renewed")
    func leaseExpiry() async throws {
        try await withRegions { east, west in
            // Never leased (a lone node, or before a router ran): no lease in force.
            #expect(try await east.control.isLeased() == false)
            try await append(east.pool, key: "unleased")
            // Long enough for one append on a loaded machine; then waited out.
            #expect(try await east.regionControl.renewLease(epoch: 1, milliseconds: 2_000))
            try await append(east.pool, key: "leased")
            try await Task.sleep(for: .milliseconds(2_300))
            await #expect(throws: NotWriterError.self) { try await append(east.pool, key: "expired") }
            #expect(try await east.regionControl.renewLease(epoch: 1, milliseconds: 5_000))
            try await append(east.pool, key: "renewed")
            // A stale epoch, a reader or a fenced writer is not renewed.
            #expect(try await east.regionControl.renewLease(epoch: 2, milliseconds: 5_000) == false)
            #expect(try await west.regionControl.renewLease(epoch: 1, milliseconds: 5_000) == false)
            _ = try await east.control.fence(epoch: 1)
            #expect(try await east.regionControl.renewLease(epoch: 1, milliseconds: 5_000) == false)
            #expect(try await idempotencyKeys(east.pool) == ["unleased", "leased", "renewed"])
        }
    }
}

@Suite("forced failover")
struct ForcedFailoverTests {
    @Test("the writer's database is gone: stop writes, wait out its lease, promote after the target's head, route; the old writer rejoins with its tail in quarantine")
    func unreachableSourceThenRejoin() async throws {
        try await withRegions { east, west in
            for index in 0..<5 { try await append(east.pool, key: "a\(index)") }
            try await replicateOnce(from: east.pool, to: west.pool)
            // Acknowledged by east but never shipped: the loss window. Then the router's last
            // renewal of east's lease (after the appends, so a slow machine can not let it run
            // out under them).
            for index in 0..<3 { try await append(east.pool, key: "lost\(index)") }
            let leaseMilliseconds: Int64 = 400
            #expect(try await east.regionControl.renewLease(epoch: 1, milliseconds: leaseMilliseconds))

            let steps = Mutex<[FailoverStep]>([])
            let lostEast = unreachable("east")
            let (head, window) = try await ForcedFailover(
                from: lostEast, to: west, leaseMilliseconds: leaseMilliseconds, routerRecord: { RoutersView(record: try await west.control.routing()) }
            ).run { step in steps.withLock { $0.append(step) } }
            await lostEast.pool.close()
            let ran = steps.withLock { $0 }
            #expect(ran.map { "\($0.name) \($0.outcome.rawValue)" } == [
                "preflight succeeded", "stop-writes succeeded", "fence-or-wait succeeded", "promote succeeded", "route succeeded",
            ])
            #expect(window.headPosition == 6 && window.epoch == 1 && window.eventsOfEpoch == 6)
            #expect(ran[2].detail.contains("waited \(leaseMilliseconds + Limits.forcedFailoverLeaseMarginMilliseconds) ms"))
            #expect(ran[2].milliseconds >= Double(leaseMilliseconds + Limits.forcedFailoverLeaseMarginMilliseconds))
            #expect(head.epoch == 2 && head.position == 7)
            #expect(try await west.control.routing() == RoutingRecord(epoch: 2, revision: 0, activeRegion: west.name, state: .active))
            // The old writer's lease ran out while the failover waited: it takes nothing more.
            await #expect(throws: NotWriterError.self) { try await append(east.pool, key: "too-late") }
            // The router renews the new writer's lease (it started with one as short as the old).
            #expect(try await west.regionControl.renewLease(epoch: 2, milliseconds: 60_000))
            for index in 0..<2 { try await append(west.pool, key: "b\(index)") }

            // The execution's begin reached east's database just before it was cut off.
            let lostExecution = UUID()
            try await RunbookStore(pool: east.pool).begin(
                id: lostExecution, kind: "forced-failover", source: "east", target: "west", requestedBy: "ops", abandonAfterSeconds: 600
            )

            // East comes back, learns of epoch 2 and rejoins: its three acknowledged events go to quarantine.
            let rejoin = RegionRejoin(pool: east.pool, region: "east")
            let report = try await rejoin.rejoinIfReplaced(writerEpochs: try await SegmentStore(pool: west.pool).epochs())
            #expect(report == RejoinReport(forkPosition: 6, newEpoch: 2, newWriter: "west", quarantinedEvents: 3))
            #expect(try await rejoin.rejoinIfReplaced(writerEpochs: try await SegmentStore(pool: west.pool).epochs()) == nil)
            #expect(try await east.control.state().role == .reader)
            #expect(try await east.control.routing() == RoutingRecord(epoch: 2, revision: 0, activeRegion: west.name, state: .active))
            try await replicateOnce(from: west.pool, to: east.pool)
            #expect(try await LedgerReader(pool: east.pool).events(after: 0, limit: 100) == LedgerReader(pool: west.pool).events(after: 0, limit: 100))
            #expect(try await auditActions(east.pool).contains("rejoin"))
            // The execution it lost no longer holds east's one-at-a-time lock.
            let lost = try #require(try await RunbookStore(pool: east.pool).executions(limit: 1, id: lostExecution).first)
            #expect(lost.state == "abandoned" && lost.detail.contains("recorded in west"))

            // Every acknowledged create is in the new writer's log or in quarantine, once.
            let quarantine = QuarantineStore(pool: east.pool, region: "east")
            let held = try await quarantine.list()
            #expect(held.map(\.idempotencyKey) == ["lost0", "lost1", "lost2"])
            #expect(held.allSatisfy { $0.epoch == 1 && $0.forkPosition == 6 && $0.eventTypes == ["RemittanceCreated"] && $0.decision == nil })
            // The quarantine keeps rows: the log's trigger lets nothing else delete events.
            await #expect(throws: PostgresError.self) {
                try await east.pool.withConnection { try $0.query("DELETE FROM events WHERE position = 2") }
            }

            // Reconcile: resubmit one into the writer (same id and key), dismiss one; each decided once.
            let operatorContext = AuditContext(actor: "ops", source: "cli")
            let resubmitted = try await quarantine.resubmit(held[0].id, writer: west.pool, context: operatorContext)
            #expect(!resubmitted.isRepeat && resubmitted.position == 10)
            await #expect(throws: QuarantineError.self) {
                try await quarantine.resubmit(held[0].id, writer: west.pool, context: operatorContext)
            }
            try await quarantine.decide(held[1].id, decision: "dismissed", reason: "customer cancelled", context: operatorContext)
            await #expect(throws: QuarantineError.self) {
                try await quarantine.decide(held[1].id, decision: "dismissed", reason: "again", context: operatorContext)
            }
            let decided = try await quarantine.list()
            #expect(decided.map(\.decision) == ["resubmitted", "dismissed", nil])
            #expect(decided[1].reason == "customer cancelled" && decided[1].decidedBy == "ops")
            #expect(try await idempotencyKeys(west.pool) == ["a0", "a1", "a2", "a3", "a4", "b0", "b1", "lost0"])
            let actions = try await auditActions(east.pool)
            #expect(actions.contains("reconcile-resubmit") && actions.contains("reconcile-dismiss"))
        }
    }

    @Test("identity changes in the lost tail: quarantined with their audit entries, out of the old writer's views, resubmitted or dismissed")
    func identityInTheLostTail() async throws {
        try await withRegions { east, west in
            let ops = AuditContext(actor: "ops", source: "cli")
            let eastIdentity = IdentityStore(pool: east.pool, region: "east")
            _ = try await eastIdentity.addUser(name: UserName(rawValue: "dave")!, roles: [.clerk], passwordSeal: "$2b$04$x", by: ops)
            try await replicateOnce(from: east.pool, to: west.pool)
            // Acknowledged by east, never shipped.
            _ = try await eastIdentity.addUser(name: UserName(rawValue: "erin")!, roles: [.auditor], passwordSeal: "$2b$04$y", by: ops)
            _ = try await eastIdentity.setDisabled(UserName(rawValue: "dave")!, true, by: ops)
            #expect(try await east.regionControl.renewLease(epoch: 1, milliseconds: 300))
            let lostEast = unreachable("east")
            _ = try await ForcedFailover(from: lostEast, to: west, leaseMilliseconds: 300, routerRecord: { RoutersView(record: try await west.control.routing()) }).run { _ in }
            await lostEast.pool.close()
            #expect(try await west.regionControl.renewLease(epoch: 2, milliseconds: 60_000))

            let report = try await RegionRejoin(pool: east.pool, region: "east").rejoinIfReplaced(writerEpochs: try await SegmentStore(pool: west.pool).epochs())
            #expect(report?.quarantinedEvents == 4)
            // East's views are the log's again: erin never existed there, dave is enabled.
            let eastUsers = try await eastIdentity.users()
            #expect(eastUsers.map(\.name.rawValue) == ["dave"] && eastUsers[0].disabled == false)
            let quarantine = QuarantineStore(pool: east.pool, region: "east")
            let held = try await quarantine.list()
            #expect(held.map(\.eventTypes) == [["UserAdded"], ["AuditRecorded"], ["UserDisabled"], ["AuditRecorded"]])
            #expect(held[0].summary == "user erin added with roles auditor" && held[2].summary == "user dave disabled")
            #expect(held.allSatisfy { $0.decision == nil && $0.forkPosition == 3 })

            // Across regions, as the CLI and the operator API see it: east holds them, west writes.
            let reconciliation = Reconciliation(regions: [(name: east.name, pool: east.pool), (name: west.name, pool: west.pool)])
            #expect(try await reconciliation.list().map(\.region) == Array(repeating: east.name, count: 4))
            let added = try await reconciliation.resubmit(held[0].id, context: ops)
            #expect(!added.isRepeat && added.position != nil)
            await #expect(throws: NotQuarantined.self) { try await reconciliation.dismiss(UUID(), reason: "no such item", context: ops) }
            let entry = try await quarantine.resubmit(held[1].id, writer: west.pool, context: ops)
            #expect(!entry.isRepeat)
            await #expect(throws: QuarantineError.self) { try await quarantine.resubmit(held[1].id, writer: west.pool, context: ops) }
            try await quarantine.decide(held[2].id, decision: "dismissed", reason: "dave stays enabled", context: ops)
            await #expect(throws: QuarantineError.self) { try await quarantine.decide(held[2].id, decision: "dismissed", reason: "again", context: ops) }
            #expect(try await quarantine.list().map(\.decision) == ["resubmitted", "resubmitted", "dismissed", nil])
            let westUsers = try await IdentityStore(pool: west.pool, region: "west").users()
            #expect(westUsers.map(\.name.rawValue) == ["dave", "erin"] && !westUsers[0].disabled)
            try await replicateOnce(from: west.pool, to: east.pool)
            #expect(try await eastIdentity.users().map(\.name.rawValue) == ["dave", "erin"])
            #expect(try await IdentityStore(pool: west.pool, region: "west").auditRecords(after: 0, limit: 100).map(\.target).contains("erin"))
        }
    }

    @Test("the old writer's database still answers: it is fenced instead of waited out, and rejoins with nothing to quarantine")
    func answeringSourceIsFenced() async throws {
        try await withRegions { east, west in
            for index in 0..<3 { try await append(east.pool, key: "a\(index)") }
            try await replicateOnce(from: east.pool, to: west.pool)
            let steps = Mutex<[FailoverStep]>([])
            let (head, _) = try await ForcedFailover(
                from: east, to: west, leaseMilliseconds: 60_000, routerRecord: { RoutersView(record: nil) }
            ).run { step in steps.withLock { $0.append(step) } }
            let ran = steps.withLock { $0 }
            #expect(ran.map(\.name) == ["preflight", "stop-writes", "fence-or-wait", "promote", "route"])
            #expect(ran[2].detail.contains("fenced at epoch 1"))
            #expect(ran[4].detail.contains("in both regions"))
            #expect(head.epoch == 2 && head.position == 5)
            #expect(try await east.control.state().role == .fenced)
            #expect(try await east.control.routing() == RoutingRecord(epoch: 2, revision: 0, activeRegion: west.name, state: .active))
            let report = try await RegionRejoin(pool: east.pool, region: "east")
                .rejoinIfReplaced(writerEpochs: try await SegmentStore(pool: west.pool).epochs())
            #expect(report?.quarantinedEvents == 0 && report?.forkPosition == 4)
            #expect(try await east.control.state().role == .reader)
            #expect(try await QuarantineStore(pool: east.pool, region: "east").list().isEmpty)
        }
    }

    @Test("a router that answers but never sees the failing-over record may still renew the lease: refused, routing given back, nothing promoted")
    func routerNotSeeingRecordRollsBack() async throws {
        try await withRegions { east, west in
            try await append(east.pool, key: "a")
            try await replicateOnce(from: east.pool, to: west.pool)
            let stale = try #require(try await west.control.routing())
            let steps = Mutex<[String]>([])
            await #expect(throws: FailoverError.self) {
                try await ForcedFailover(from: unreachable("east"), to: west, leaseMilliseconds: 200, routerRecord: { RoutersView(record: stale) })
                    .run { step in steps.withLock { $0.append("\(step.name) \(step.outcome.rawValue)") } }
            }
            #expect(steps.withLock { $0 } == ["preflight succeeded", "stop-writes succeeded", "fence-or-wait failed", "rollback rolled back"])
            #expect(try await west.control.state().role == .reader)
            #expect(try await epochs(west.pool) == [1])
            #expect(try await west.control.routing() == RoutingRecord(epoch: 1, revision: stale.revision + 2, activeRegion: east.name, state: .active))
        }
    }

    @Test("preflight refuses a target that is not a reader, or a routing record that names another region, and changes nothing")
    func preflight() async throws {
        try await withRegions { east, west in
            try await replicateOnce(from: east.pool, to: west.pool)
            await #expect(throws: FailoverError.self) {
                try await ForcedFailover(from: west, to: east, leaseMilliseconds: 200, routerRecord: { RoutersView(record: nil) }).run()
            }
            // The record names east; a forced failover "from west" is a mistake.
            let mistaken = FailoverRegion(name: RegionName(rawValue: "south")!, control: east.control)
            await #expect(throws: FailoverError.self) {
                try await ForcedFailover(from: mistaken, to: west, leaseMilliseconds: 200, routerRecord: { RoutersView(record: nil) }).run()
            }
            let current = try await roles(east, west)
            #expect(current == [.writer, .reader])
            #expect(try await west.control.routing()?.state == .active)
        }
    }
}
