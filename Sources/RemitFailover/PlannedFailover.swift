import Foundation
import RemitCore
import RemitDomain
import RemitReplication
import RemitStorage

/// One region as a failover sees it.
public struct FailoverRegion: Sendable {
    public let name: RegionName
    public let control: RegionControl

    public init(name: RegionName, control: RegionControl) {
        self.name = name
        self.control = control
    }
}

/// A planned failover (switchover) from the writer region to a caught-up reader, as
/// DESIGN.md lays it out: preflight, fence, drain, promote, reverse. Before promote, a failure
/// unfences the writer and leaves everything as it was; after promote, the old writer stays
/// fenced: there is never a second writer. The promote writes the new routing record into the
/// target's database with the new epoch, so the router (which follows the newest copy) switches
/// at once; the route step copies it to the old writer's database.
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
        let steps = StepRunner(report: report)
        let epoch = try await steps.run("preflight") { () -> (Int64, String) in
            let (sourceRole, sourceHead) = try await source.control.state()
            let (targetRole, targetHead) = try await target.control.state()
            guard sourceRole == .writer else { throw RegionControlError("\(source.name) is the \(sourceRole.rawValue), not the writer") }
            guard targetRole == .reader else { throw RegionControlError("\(target.name) is the \(targetRole.rawValue), not a reader") }
            let lag = sourceHead.position - targetHead.position
            guard lag <= lagEventsMax else { throw RegionControlError("\(target.name) is \(lag) events behind (at most \(lagEventsMax))") }
            return (sourceHead.epoch, "\(source.name) writer at epoch \(sourceHead.epoch), head \(sourceHead.position); \(target.name) \(lag) events behind")
        }
        let fenced = try await steps.run("fence") { () -> (LogHead, String) in
            let head = try await source.control.fence(epoch: epoch)
            return (head, "\(source.name) fenced at epoch \(epoch), head \(head.position) \(head.hash.hex.prefix(16))…")
        }
        do {
            try await steps.run("drain") { () -> (Void, String) in
                let deadline = ContinuousClock.now + .milliseconds(drainTimeoutMilliseconds)
                while try await target.control.state().head != fenced {
                    guard ContinuousClock.now < deadline else {
                        throw RegionControlError("\(target.name) did not reach \(fenced.position) within \(drainTimeoutMilliseconds) ms")
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                return ((), "\(target.name) head \(fenced.position), hash equal to the fenced writer's")
            }
        } catch {
            try await source.control.unfence(epoch: epoch)
            await report(FailoverStep(name: "rollback", outcome: .rolledBack, milliseconds: 0, detail: "\(source.name) unfenced; nothing else changed"))
            throw error
        }
        let promoted: LogHead
        do {
            promoted = try await steps.run("promote") { () -> (LogHead, String) in
                // A leased writer hands a fresh lease on, so the router's next renewal finds one to extend.
                let lease = try await source.control.isLeased() ? Limits.writeLeaseMilliseconds : nil
                let head = try await target.control.promote(target.name, after: fenced, leaseMilliseconds: lease)
                return (head, "\(target.name) opened epoch \(head.epoch) with EpochStarted at \(head.position)")
            }
        } catch {
            // Unfence only if the target is certainly still a reader at the fenced head: if the
            // promote may have committed, the old writer stays fenced rather than risk two writers.
            if let (role, head) = try? await target.control.state(), role == .reader, head == fenced {
                try await source.control.unfence(epoch: epoch)
                await report(FailoverStep(name: "rollback", outcome: .rolledBack, milliseconds: 0, detail: "\(source.name) unfenced; \(target.name) was not promoted"))
            } else {
                await report(FailoverStep(name: "rollback", outcome: .failed, milliseconds: 0,
                                          detail: "\(target.name) may have been promoted; \(source.name) stays fenced: check both regions"))
            }
            throw error
        }
        try await steps.run("route") { () -> (Void, String) in
            let record = RoutingRecord(epoch: promoted.epoch, revision: 0, activeRegion: target.name, state: .active)
            try await source.control.route(record)
            return ((), "routing record: \(target.name) active at epoch \(promoted.epoch), in both regions")
        }
        try await steps.run("reverse") { () -> (Void, String) in
            try await source.control.demote(epoch: epoch)
            return ((), "\(source.name) is a reader of \(target.name) from \(fenced.position)")
        }
        return promoted
    }
}
