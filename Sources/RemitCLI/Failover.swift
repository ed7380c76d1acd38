import ArgumentParser
import Foundation
import RemitCore
import RemitFailover
import RemitPostgres
import RemitReplication
import RemitStack
import RemitStorage

struct Failover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move the writer to another region (planned failover or failback): preflight, fence, drain, promote, reverse."
    )

    @Option(help: "The region that becomes the writer.")
    var to: RegionName

    @Option(help: "How long the target may take to apply everything the fenced writer has, in milliseconds; past it, the failover rolls back.")
    var drainTimeoutMilliseconds: Int64 = Limits.failoverDrainTimeoutMilliseconds

    @OptionGroup var stack: StackOptions

    func validate() throws {
        guard try stack.regionNames().contains(to) else { throw ValidationError("\(to) is not one of the regions (--regions)") }
        guard drainTimeoutMilliseconds > 0 else { throw ValidationError("--drain-timeout-milliseconds must be positive") }
    }

    func run() async throws {
        let names = try stack.regionNames()
        var pools: [RegionName: PostgresPool] = [:]
        for name in names {
            pools[name] = PostgresPool(url: try stack.databaseURL(name), connectionsMax: 2, applicationName: "remit failover")
        }
        do {
            try await run(pools, names: names)
        } catch {
            for pool in pools.values { await pool.close() }
            throw error
        }
        for pool in pools.values { await pool.close() }
    }

    private func run(_ pools: [RegionName: PostgresPool], names: [RegionName]) async throws {
        let head = try await FailoverExecution(pools: pools, names: names, target: to, drainTimeoutMilliseconds: drainTimeoutMilliseconds)
            .run { line in
                print(line)
                fflush(nil)  // stdout may be a pipe: each step shows as it ends
            }
        print("\(to) is the writer at epoch \(head.epoch); the router follows within its health-check interval")
    }
}

/// One planned failover towards `target`, recorded as a runbook execution in every region and
/// in the audit log; `say` gets a line per step as it ends.
struct FailoverExecution {
    let pools: [RegionName: PostgresPool]
    let names: [RegionName]
    let target: RegionName
    let drainTimeoutMilliseconds: Int64

    func run(say: (String) -> Void) async throws -> LogHead {
        let to = target
        var writer: RegionName?
        for name in names where name != to {
            if try await RegionControl(pool: pools[name]!).state().role == .writer { writer = name }
        }
        guard let writer else { throw ValidationError("no other region is the writer: \(to) may be the writer already") }
        say("failover from \(writer) to \(to)")
        let failover = PlannedFailover(
            from: FailoverRegion(name: writer, control: RegionControl(pool: pools[writer]!)),
            to: FailoverRegion(name: to, control: RegionControl(pool: pools[to]!)),
            drainTimeoutMilliseconds: drainTimeoutMilliseconds
        )
        let context = IdentityTarget.auditContext
        // The execution is recorded in every region; the writer's database admits one at a time.
        let id = UUID()
        let others = names.filter { $0 != writer }.map { RunbookStore(pool: pools[$0]!) }
        let abandonAfter = drainTimeoutMilliseconds / 1_000 + 60
        try await RunbookStore(pool: pools[writer]!).begin(
            id: id, kind: "planned-failover", source: writer.rawValue, target: to.rawValue, requestedBy: context.actor,
            abandonAfterSeconds: abandonAfter
        )
        for store in others {
            try? await store.begin(id: id, kind: "planned-failover", source: writer.rawValue, target: to.rawValue,
                                   requestedBy: context.actor, abandonAfterSeconds: abandonAfter)
        }
        let stores = [RunbookStore(pool: pools[writer]!)] + others
        say("runbook execution \(id.uuidString.lowercased())")
        var index: Int32 = 0
        do {
            let head = try await failover.run { step in
                let name = step.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                let outcome = step.outcome.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                say("  \(name)\(outcome)\(String(format: "%8.1f", step.milliseconds)) ms  \(step.detail)")
                for store in stores {
                    try? await store.step(id, index: index, name: step.name, outcome: step.outcome.rawValue, milliseconds: step.milliseconds, detail: step.detail)
                }
                index += 1
            }
            for store in stores { try? await store.finish(id, state: "succeeded", detail: "\(to) is the writer at epoch \(head.epoch)") }
            for name in names {
                try await IdentityStore(pool: pools[name]!, region: name.rawValue).audit(
                    "failover", target: to.rawValue, context: context, outcome: .succeeded, detail: "from \(writer); epoch \(head.epoch)"
                )
            }
            return head
        } catch {
            for store in stores { try? await store.finish(id, state: "failed", detail: "\(error)") }
            for name in names {
                try? await IdentityStore(pool: pools[name]!, region: name.rawValue).audit(
                    "failover", target: to.rawValue, context: context, outcome: .failed, detail: "from \(writer): \(error)"
                )
            }
            throw error
        }
    }
}
