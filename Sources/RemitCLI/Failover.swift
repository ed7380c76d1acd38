import ArgumentParser
import Foundation
import RemitWire
import RemitCore
import RemitFailover
import RemitPostgres
import RemitStorage

struct Failover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move the writer to another region: planned (preflight, fence, drain, promote, route, reverse) or, with --force, away from a writer region that is gone."
    )

    @Option(help: "The region that becomes the writer.")
    var to: RegionName

    @Option(help: "How long the target may take to apply everything the fenced writer has, in milliseconds; past it, the failover rolls back.")
    var drainTimeoutMilliseconds: Int64 = Limits.failoverDrainTimeoutMilliseconds

    @Flag(help: "The writer region is gone: stop writes, wait out its lease, open the next epoch on the target after what it has. What the old writer acknowledged beyond that goes to quarantine.")
    var force = false

    @Flag(help: "Confirms --force: acknowledged transfers the target never received are cut off until reconciled.")
    var acceptDataLoss = false

    @Option(help: "A router, asked by --force whether it has stopped renewing the old writer's lease; repeat for each router (default: remit up's two).")
    var router: [String] = ["http://127.0.0.1:8080", "http://127.0.0.1:8090"]

    @OptionGroup var stack: StackOptions

    @OptionGroup var lease: LeaseOption

    func validate() throws {
        guard try stack.regionNames().contains(to) else { throw ValidationError("\(to) is not one of the regions (--regions)") }
        guard drainTimeoutMilliseconds > 0 else { throw ValidationError("--drain-timeout-milliseconds must be positive") }
        guard !force || acceptDataLoss else {
            throw ValidationError("--force cuts off what the target never received: confirm with --accept-data-loss")
        }
        guard !acceptDataLoss || force else { throw ValidationError("--accept-data-loss goes with --force") }
    }

    func run() async throws {
        var pools: [RegionName: PostgresPool] = [:]
        for name in try stack.regionNames() {
            pools[name] = PostgresPool(url: try stack.databaseURL(name), connectionsMax: 2, applicationName: "remit failover")
        }
        let routerURLs = router
        let execution = FailoverExecution(
            pools: pools, target: to, kind: force ? .forced : .planned, context: IdentityTarget.auditContext,
            drainTimeoutMilliseconds: drainTimeoutMilliseconds, leaseMilliseconds: lease.leaseMilliseconds,
            routerRecord: { try RoutersView.of(await ReadinessProbe.routingRecords(routerURLs)) }
        )
        let outcome: FailoverExecution.Outcome
        do {
            outcome = try await execution.run { line in
                print(line)
                fflush(nil)  // stdout may be a pipe: each step shows as it ends
            }
        } catch {
            for pool in pools.values { await pool.close() }
            throw error
        }
        for pool in pools.values { await pool.close() }
        if let window = outcome.lossWindow {
            print("loss window: \(to) had \(outcome.source)'s log through position \(window.headPosition) and last applied a segment \(window.millisecondsSinceLastApplied) ms before the failover; see `remit reconcile list` once \(outcome.source) rejoins")
        }
        print("\(to) is the writer at epoch \(outcome.head.epoch); the router follows within its health-check interval")
    }
}
