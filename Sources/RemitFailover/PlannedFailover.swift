import Foundation
import RemitCore
import RemitDomain
import RemitReplication

/// A planned failover (switchover) from the writer region to a caught-up reader: the driver of
/// `PlannedRunbook`, which decides every step and rollback; this carries out its actions on the
/// two regions. The promote writes the new routing record into the target's database with the
/// new epoch, so the router (which follows the newest copy) switches at once; the route step
/// copies it to the old writer's database.
public struct PlannedFailover: Sendable {
    public let source: FailoverRegion
    public let target: FailoverRegion
    public let drainTimeoutMilliseconds: Int64
    public let lagEventsMax: Int64

    public init(
        from source: FailoverRegion, to target: FailoverRegion,
        drainTimeoutMilliseconds: Int64 = Limits.failoverDrainTimeoutMilliseconds,
        lagEventsMax: Int64 = Limits.failoverPreflightLagEventsMax
    ) {
        self.source = source
        self.target = target
        self.drainTimeoutMilliseconds = drainTimeoutMilliseconds
        self.lagEventsMax = lagEventsMax
    }

    /// Runs every step, reporting each as it ends; returns the new writer's head.
    public func run(report: @escaping (FailoverStep) async -> Void = { _ in }) async throws -> LogHead {
        var runbook = PlannedRunbook(
            source: source.name, target: target.name, drainTimeoutMilliseconds: drainTimeoutMilliseconds, lagEventsMax: lagEventsMax
        )
        var output = runbook.start(at: .now)
        while true {
            for step in output.steps { await report(step) }
            switch output.action {
            case .finish(.succeeded(let head)): return head
            case .finish(.failed(let error)): throw error
            default: output = await perform(output.action, &runbook)
            }
        }
    }

    /// Carries out one action and hands its result, or its failure, to the runbook.
    private func perform(_ action: PlannedRunbook.Action, _ runbook: inout PlannedRunbook) async -> PlannedRunbook.Output {
        do {
            switch action {
            case .readStates:
                let sourceState = try await source.control.state()
                let targetState = try await target.control.state()
                return runbook.statesRead(source: sourceState, target: targetState, at: .now)
            case .fence(let epoch):
                return runbook.fenced(try await source.control.fence(epoch: epoch), at: .now)
            case .readTarget:
                let (role, head) = try await target.control.state()
                return runbook.targetRead(role: role, head: head, at: .now)
            case .sleep(let milliseconds):
                try await Task.sleep(for: .milliseconds(milliseconds))
                return runbook.slept(at: .now)
            case .unfence(let epoch):
                try await source.control.unfence(epoch: epoch)
                return runbook.unfenced(at: .now)
            case .readLease:
                return runbook.leaseRead(try await source.control.isLeased(), at: .now)
            case .promote(let fenced, let leaseMilliseconds):
                return runbook.promoted(try await target.control.promote(target.name, after: fenced, leaseMilliseconds: leaseMilliseconds), at: .now)
            case .route(let record):
                try await source.control.route(record)
                return runbook.routed(at: .now)
            case .demote(let epoch):
                try await source.control.demote(epoch: epoch)
                return runbook.demoted(at: .now)
            case .finish:
                preconditionFailure("finish is the driver's to handle")
            }
        } catch {
            return runbook.actionFailed("\(error)", at: .now)
        }
    }
}
