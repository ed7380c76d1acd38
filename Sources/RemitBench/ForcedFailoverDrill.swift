import Foundation
import RemitWire
import RemitCore
import RemitFailover
import RemitPostgres
import RemitStack
import RemitStorage

/// The forced half of `remit bench failover`: under the steady create load, the writer
/// region's PostgreSQL is killed (SIGKILL, as a crash would), `remit failover --force` runs
/// towards the other region, and later the killed cluster restarts and rejoins as a reader.
/// The figure: time from the writer's death to the first create acknowledged by the new writer.
struct ForcedFailoverDrill {
    struct Run {
        let source: RegionName
        let target: RegionName
        let killedAt: ContinuousClock.Instant
        let runbookMilliseconds: Double
        /// The epoch the target opened.
        let epoch: Int64
        /// How long the failover waited out the old writer's lease.
        let waitDetail: String
        /// Events the old writer moved to quarantine when it rejoined.
        let quarantined: Int64
    }

    let clusters: [LocalCluster]
    let names: [RegionName]
    let pools: [RegionName: PostgresPool]
    let routerURLs: [String]
    let leaseMilliseconds: Int64
    let settleSeconds: Int
    let context: AuditContext

    /// Kills the writer, fails over to the other of the first two regions, restarts the killed
    /// cluster and waits for its rejoin; `count` times.
    func run(count: Int) async throws -> [Run] {
        var runs: [Run] = []
        for _ in 0..<count {
            try await Task.sleep(for: .seconds(settleSeconds))
            let firstIsWriter = try await RegionControl(pool: pools[names[0]]!).state().role == .writer
            let (source, target) = firstIsWriter ? (names[0], names[1]) : (names[1], names[0])
            let cluster = clusters.first { $0.region == source }!
            let quarantinedBefore = try await quarantined(source)
            try cluster.kill()
            let killedAt = ContinuousClock.now
            let routerURLs = self.routerURLs
            let outcome = try await FailoverExecution(
                pools: pools, target: target, kind: .forced, context: context, leaseMilliseconds: leaseMilliseconds,
                routerRecord: { try RoutersView.of(await ReadinessProbe.routingRecords(routerURLs)) }
            ).run()
            let runbookMilliseconds = (ContinuousClock.now - killedAt).milliseconds
            // What the fence-or-wait step did, as the execution's record in the target keeps it.
            let recorded = try await RunbookStore(pool: pools[target]!).executions(limit: 1, id: outcome.id).first
            let waitDetail = recorded?.steps.first { $0.name == "fence-or-wait" }?.detail ?? ""
            try await Task.sleep(for: .seconds(settleSeconds))
            // The region comes back: its node finds epoch E+1 and rejoins as a reader.
            try cluster.start()
            try await waitForRejoin(source)
            runs.append(Run(
                source: source, target: target, killedAt: killedAt, runbookMilliseconds: runbookMilliseconds,
                epoch: outcome.head.epoch, waitDetail: waitDetail,
                quarantined: try await quarantined(source) - quarantinedBefore
            ))
        }
        return runs
    }

    /// The first create the new writer acknowledged after the kill: an acknowledged key its log
    /// holds in the epoch it opened.
    func firstWrite(_ run: Run, acknowledged: [(key: String, at: ContinuousClock.Instant)]) async throws -> ContinuousClock.Instant? {
        let after = acknowledged.filter { $0.at > run.killedAt }
        let inNewEpoch = try await LedgerReader(pool: pools[run.target]!).idempotencyKeys(after.map(\.key), epoch: run.epoch)
        return after.first { inNewEpoch.contains($0.key) }?.at
    }

    /// Acknowledged keys found neither in any region's log nor in any region's quarantine.
    func lost(_ keys: [String]) async throws -> Int {
        var found = Set<String>()
        for (name, pool) in pools {
            found.formUnion(try await LedgerReader(pool: pool).idempotencyKeys(keys))
            found.formUnion(try await QuarantineStore(pool: pool, region: name.rawValue).idempotencyKeys(keys))
        }
        return Set(keys).subtracting(found).count
    }

    private func quarantined(_ region: RegionName) async throws -> Int64 {
        try await QuarantineStore(pool: pools[region]!, region: region.rawValue).eventCount()
    }

    /// Until `region` is a reader again (its pool reconnects once the cluster is back).
    private func waitForRejoin(_ region: RegionName) async throws {
        let deadline = ContinuousClock.now + .seconds(Self.rejoinWaitSeconds)
        while ContinuousClock.now < deadline {
            if let (role, _) = try? await RegionControl(pool: pools[region]!).state(), role == .reader { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw StackError("\(region) did not rejoin as a reader within \(Self.rejoinWaitSeconds) s")
    }

    /// Crash recovery plus the node's next rejoin check take seconds; a minute means it is stuck.
    static let rejoinWaitSeconds = 60
}
