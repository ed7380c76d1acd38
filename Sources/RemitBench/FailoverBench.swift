import AsyncHTTPClient
import Foundation
import NIOCore
import RemitCore
import RemitImport
import RemitFailover
import RemitPostgres
import RemitStack
import RemitStorage
import Synchronization

/// `remit bench failover`: planned failovers back and forth, then forced ones (the writer's
/// PostgreSQL killed), under a steady create load through the router: runbook time, the write
/// pause clients see, time from the writer's death to the first write, errors, creates lost.
public struct FailoverBench: Sendable {
    public var names: [RegionName]
    public var databaseURLs: [RegionName: String]
    /// The embedded stack's clusters, which the forced failovers kill and restart.
    public var clusters: [LocalCluster]
    public var password: String
    /// Where the load goes.
    public var routerURL: String
    /// Every router, which the forced failovers ask.
    public var routerURLs: [String]
    /// The write lease the stack's routers grant (`remit up --lease-milliseconds`).
    public var leaseMilliseconds: Int64
    public var failovers: Int
    public var forcedFailovers: Int
    public var rate: Int
    public var settleSeconds: Int
    /// Who the runbooks and the audit log record.
    public var context: AuditContext

    public init(
        names: [RegionName], databaseURLs: [RegionName: String], clusters: [LocalCluster], password: String, routerURLs: [String],
        leaseMilliseconds: Int64, failovers: Int, forcedFailovers: Int, rate: Int, settleSeconds: Int, context: AuditContext
    ) {
        precondition(!routerURLs.isEmpty, "the load goes through a router")
        self.names = names
        self.databaseURLs = databaseURLs
        self.clusters = clusters
        self.password = password
        self.routerURL = routerURLs[0]
        self.routerURLs = routerURLs
        self.leaseMilliseconds = leaseMilliseconds
        self.failovers = failovers
        self.forcedFailovers = forcedFailovers
        self.rate = rate
        self.settleSeconds = settleSeconds
        self.context = context
    }

    public func run() async throws {
        precondition(names.count >= 2, "failover needs two regions")
        var pools: [RegionName: PostgresPool] = [:]
        for name in names {
            pools[name] = PostgresPool(url: databaseURLs[name]!, connectionsMax: 2, applicationName: "remit bench failover")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let token = try await APISignIn.token(client: client, url: routerURL, username: "admin", password: password)
            let load = SteadyCreates(client: client, url: routerURL, token: token, rate: rate, run: UUID().uuidString.prefix(8).lowercased())
            let loading = Task { try await load.run() }
            try await Task.sleep(for: .seconds(settleSeconds))
            var runs: [(target: RegionName, runbookMilliseconds: Double, started: ContinuousClock.Instant, ended: ContinuousClock.Instant)] = []
            for _ in 0..<failovers {
                // Towards whichever of the first two regions is not the writer now.
                let firstIsWriter = try await RegionControl(pool: pools[names[0]]!).state().role == .writer
                let target = firstIsWriter ? names[1] : names[0]
                let started = ContinuousClock.now
                _ = try await FailoverExecution(pools: pools, target: target, kind: .planned, context: context).run()
                let ended = ContinuousClock.now
                runs.append((target, (ended - started).milliseconds, started, ended))
                try await Task.sleep(for: .seconds(settleSeconds))
            }
            load.stop()
            try await loading.value
            let outcome = load.outcome
            // Every acknowledged create, exactly once, in every region.
            let keys = outcome.acknowledgedKeys
            var found: [RegionName: Int64] = [:]
            for name in names {
                for _ in 0..<200 {
                    found[name] = Int64(try await LedgerReader(pool: pools[name]!).idempotencyKeys(keys).count)
                    if found[name] == Int64(keys.count) { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            report(runs: runs, outcome: outcome, found: found, acknowledged: keys.count)
            if forcedFailovers > 0 {
                let drill = ForcedFailoverDrill(
                    clusters: clusters, names: names, pools: pools, routerURLs: routerURLs, leaseMilliseconds: leaseMilliseconds,
                    settleSeconds: settleSeconds, context: context
                )
                try await forced(drill, client: client, token: token)
            }
        } catch {
            for pool in pools.values { await pool.close() }
            try? await client.shutdown()
            throw error
        }
        for pool in pools.values { await pool.close() }
        try await client.shutdown()
    }

    /// Forced failovers under a load of their own: what they acknowledge is checked against
    /// the logs and the quarantines, where the old writer's cut-off tail goes.
    func forced(_ drill: ForcedFailoverDrill, client: HTTPClient, token: String) async throws {
        let load = SteadyCreates(client: client, url: routerURL, token: token, rate: rate, run: UUID().uuidString.prefix(8).lowercased())
        let loading = Task { try await load.run() }
        let runs: [ForcedFailoverDrill.Run]
        do {
            runs = try await drill.run(count: forcedFailovers)
            try await Task.sleep(for: .seconds(settleSeconds))
        } catch {
            load.stop()
            _ = try? await loading.value
            throw error
        }
        load.stop()
        try await loading.value
        let outcome = load.outcome
        var deaths: [Double] = []
        var errorCounts: [Int] = []
        for (index, run) in runs.enumerated() {
            let first = try await drill.firstWrite(run, acknowledged: outcome.acknowledged)
            let death = first.map { ($0 - run.killedAt).milliseconds }
            let errors = outcome.errorSummary(from: run.killedAt, to: (first ?? run.killedAt) + .seconds(1))
            if let death { deaths.append(death) }
            errorCounts.append(errors.count)
            print(String(format: "forced failover %d from %@ to %@: writer death to first write %@, runbook %.0f ms (fence-or-wait %@), client errors %d%@, %lld events quarantined at rejoin",
                         index + 1, run.source.rawValue as NSString, run.target.rawValue as NSString,
                         (death.map { String(format: "%.0f ms", $0) } ?? "never") as NSString, run.runbookMilliseconds,
                         run.waitDetail as NSString, errors.count, (errors.count == 0 ? "" : " (\(errors.text))") as NSString, run.quarantined))
        }
        let lost = try await drill.lost(outcome.acknowledgedKeys)
        let sorted = deaths.sorted()
        let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        print(String(format: "%d forced failovers at %d creates/s: writer death to first write p50 %.0f ms, max %.0f ms; %d creates acknowledged, %d lost (in no log and no quarantine)",
                     runs.count, rate, p50, sorted.last ?? 0, outcome.acknowledged.count, lost))
        let json: [String: Any] = [
            "bench": "forced-failover", "failovers": runs.count, "rate": rate, "writerDeathToFirstWriteMilliseconds": deaths.map { $0.rounded() },
            "acknowledged": outcome.acknowledged.count, "lost": lost, "quarantined": runs.map(\.quarantined),
            "firstWriteMissing": runs.count - deaths.count, "clientErrors": errorCounts,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }

    func report(
        runs: [(target: RegionName, runbookMilliseconds: Double, started: ContinuousClock.Instant, ended: ContinuousClock.Instant)],
        outcome: SteadyCreates.Outcome, found: [RegionName: Int64], acknowledged: Int
    ) {
        var pauses: [Double] = []
        let acks = outcome.acknowledgedAt
        for (index, run) in runs.enumerated() {
            // The longest gap between successful creates that touches the runbook's time.
            var pause = 0.0
            for (before, after) in zip(acks, acks.dropFirst()) where after >= run.started && before <= run.ended {
                pause = max(pause, (after - before).milliseconds)
            }
            let errors = outcome.errorSummary(from: run.started, to: run.ended + .seconds(1))
            pauses.append(pause)
            print(String(format: "failover %d to %@: runbook %.0f ms, longest write pause %.0f ms, client errors %d%@",
                         index + 1, run.target.rawValue as NSString, run.runbookMilliseconds, pause, errors.count,
                         (errors.count == 0 ? "" : " (\(errors.text))") as NSString))
        }
        let pause = Percentiles(pauses)
        let lost = found.values.map { Int64(acknowledged) - $0 }.max() ?? 0
        let allErrors = outcome.errorSummary()
        print(String(format: "%d failovers at %d creates/s: write pause p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d client errors in all%@; %d creates acknowledged, %lld lost",
                     runs.count, rate, pause.at(0.5), pause.at(0.99), pause.max, allErrors.count,
                     (allErrors.count == 0 ? "" : " (\(allErrors.text))") as NSString, acknowledged, lost))
        let json: [String: Any] = [
            "bench": "failover", "failovers": runs.count, "rate": rate, "pauseP50Milliseconds": pause.at(0.5).rounded(),
            "pauseP99Milliseconds": pause.at(0.99).rounded(), "pauseMaxMilliseconds": pause.max.rounded(), "clientErrors": outcome.errors.count,
            "acknowledged": acknowledged, "lost": lost,
            "runbookMilliseconds": runs.map { $0.runbookMilliseconds.rounded() },
        ]
        print(String(decoding: try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }
}
