import Foundation
import RemitDomain
import RemitCore
import RemitPostgres
import RemitStorage

/// One failover towards `target` (planned, or forced when the writer region is gone), recorded
/// as a runbook execution in every region it reaches and in their audit logs. The CLI and the
/// operator API both run failovers through here.
public struct FailoverExecution: Sendable {
    public enum Kind: String, Sendable {
        case planned = "planned-failover"
        case forced = "forced-failover"
    }

    public struct Outcome: Sendable {
        public let id: UUID
        public let source: RegionName
        public let head: LogHead
        /// Forced failover only: what the target had of the lost writer's log.
        public let lossWindow: LossWindowFigures?
    }

    public let pools: [RegionName: PostgresPool]
    public let target: RegionName
    public let kind: Kind
    public let context: AuditContext
    public let drainTimeoutMilliseconds: Int64
    /// The write lease the routers grant (a forced failover waits it out; the new writer gets it).
    public let leaseMilliseconds: Int64
    /// The routing record the routers follow now (forced failover asks them).
    public let routerRecord: @Sendable () async throws -> RoutersView

    public init(
        pools: [RegionName: PostgresPool], target: RegionName, kind: Kind, context: AuditContext,
        drainTimeoutMilliseconds: Int64 = Limits.failoverDrainTimeoutMilliseconds, leaseMilliseconds: Int64 = Limits.writeLeaseMilliseconds,
        routerRecord: @escaping @Sendable () async throws -> RoutersView = { RoutersView(record: nil) }
    ) {
        precondition(pools[target] != nil, "the target is one of the regions")
        self.pools = pools
        self.target = target
        self.kind = kind
        self.context = context
        self.drainTimeoutMilliseconds = drainTimeoutMilliseconds
        self.leaseMilliseconds = leaseMilliseconds
        self.routerRecord = routerRecord
    }

    /// The region the failover moves away from: for a planned one the writer, for a forced one
    /// the region the newest routing record any reachable region holds names active.
    func source() async throws -> RegionName {
        let others = pools.keys.filter { $0 != target }.sorted { $0.rawValue < $1.rawValue }
        switch kind {
        case .planned:
            for name in others where try await RegionControl(pool: pools[name]!).state().role == .writer { return name }
            throw FailoverError(step: "preflight", reason: "no other region is the writer: \(target) may be the writer already")
        case .forced:
            var copies: [RoutingRecord?] = []
            for name in pools.keys { copies.append(try? await RegionControl(pool: pools[name]!).routing()) }
            guard let record = RoutingRecord.newest(copies) else {
                throw FailoverError(step: "preflight", reason: "no region that answers holds a routing record")
            }
            guard record.activeRegion != target else {
                throw FailoverError(step: "preflight", reason: "the routing record already names \(target) active")
            }
            return record.activeRegion
        }
    }

    /// Runs the failover; `say` gets a line when it starts and one per step as it ends.
    /// Throws `RunbookBusy` when another execution is running (nothing was started).
    public func run(id: UUID = UUID(), say: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Outcome {
        let source = try await source()
        let regions = (source: FailoverRegion(name: source, control: RegionControl(pool: pools[source]!)),
                       target: FailoverRegion(name: target, control: RegionControl(pool: pools[target]!)))
        // The region that must record the execution is the one whose database is certainly up:
        // the writer for a planned failover (it admits one at a time), the target for a forced one.
        let first = kind == .planned ? source : target
        let stores = [first] + pools.keys.filter { $0 != first }.sorted { $0.rawValue < $1.rawValue }
        let abandonAfterSeconds = drainTimeoutMilliseconds / 1_000 + 60
        for (offset, name) in stores.enumerated() {
            let begin = {
                try await RunbookStore(pool: pools[name]!).begin(
                    id: id, kind: kind.rawValue, source: source.rawValue, target: target.rawValue, requestedBy: context.actor,
                    abandonAfterSeconds: abandonAfterSeconds
                )
            }
            do {
                try await begin()
            } catch let busy as RunbookBusy where offset == 0 {
                guard await copyEnd(of: busy.running, into: name) else { throw busy }
                try await begin()
            } catch where offset > 0 {
                continue  // best effort beyond the first: that region may be the one that is gone
            }
        }
        say("\(kind == .planned ? "failover" : "forced failover") from \(source) to \(target)")
        say("runbook execution \(id.uuidString.lowercased())")
        let recorder = StepRecorder(id: id, stores: stores.map { RunbookStore(pool: pools[$0]!) })
        let report: (FailoverStep) async -> Void = { step in
            let name = step.name.padding(toLength: 14, withPad: " ", startingAt: 0)
            let outcome = step.outcome.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
            say("  \(name)\(outcome)\(String(format: "%8.1f", step.milliseconds)) ms  \(step.detail)")
            await recorder.record(step)
        }
        do {
            let outcome: Outcome
            switch kind {
            case .planned:
                let head = try await PlannedFailover(from: regions.source, to: regions.target, drainTimeoutMilliseconds: drainTimeoutMilliseconds)
                    .run(report: report)
                outcome = Outcome(id: id, source: source, head: head, lossWindow: nil)
            case .forced:
                let (head, window) = try await ForcedFailover(from: regions.source, to: regions.target, leaseMilliseconds: leaseMilliseconds, routerRecord: routerRecord)
                    .run(report: report)
                outcome = Outcome(id: id, source: source, head: head, lossWindow: window)
            }
            await finish(stores, id: id, state: "succeeded", detail: "\(target) is the writer at epoch \(outcome.head.epoch)")
            await audit(.succeeded, detail: "\(kind.rawValue) from \(source); epoch \(outcome.head.epoch)")
            return outcome
        } catch {
            await finish(stores, id: id, state: "failed", detail: "\(error)")
            await audit(.failed, detail: "\(kind.rawValue) from \(source): \(error)")
            throw error
        }
    }

    private func finish(_ stores: [RegionName], id: UUID, state: String, detail: String) async {
        for name in stores { try? await RunbookStore(pool: pools[name]!).finish(id, state: state, detail: detail) }
    }

    /// A region that was cut off while an execution ended (the old writer of a forced failover)
    /// still shows it running. When another region recorded its end, that end is copied into
    /// `region`, and true says it no longer blocks a new execution there.
    private func copyEnd(of execution: UUID, into region: RegionName) async -> Bool {
        for (name, pool) in pools where name != region {
            guard let ended = try? await RunbookStore(pool: pool).executions(limit: 1, id: execution).first, ended.state != "running" else {
                continue
            }
            let detail = ended.detail + " (end recorded in \(name); \(region) was unreachable then)"
            return (try? await RunbookStore(pool: pools[region]!).finish(execution, state: ended.state, detail: detail)) != nil
        }
        return false
    }

    /// Audited once: in the log if a region that answers is the writer (after a failover, the
    /// target), else in the outbox of the first region that answers, whose node carries it to
    /// the log later.
    private func audit(_ outcome: AuditRecord.Outcome, detail: String) async {
        let ordered = pools.sorted { ($0.key == target ? 0 : 1, $0.key.rawValue) < ($1.key == target ? 0 : 1, $1.key.rawValue) }
        for logOnly in [true, false] {
            for (name, pool) in ordered {
                let store = IdentityStore(pool: pool, region: name.rawValue)
                if (try? await store.audit("failover", target: target.rawValue, context: context, outcome: outcome, detail: detail, logOnly: logOnly)) != nil {
                    return
                }
            }
        }
    }
}

/// Writes each step to every region's runbook tables as it ends, numbering them.
private actor StepRecorder {
    let id: UUID
    let stores: [RunbookStore]
    var index: Int32 = 0

    init(id: UUID, stores: [RunbookStore]) {
        self.id = id
        self.stores = stores
    }

    func record(_ step: FailoverStep) async {
        for store in stores {
            try? await store.step(id, index: index, name: step.name, outcome: step.outcome.rawValue, milliseconds: step.milliseconds, detail: step.detail)
        }
        index += 1
    }
}
