import Foundation
import RemitDomain
import RemitCore
import RemitReplication
import RemitStorage

/// A forced failover: the writer region is gone (or cut off), so its last events can not be
/// drained. As DESIGN.md lays it out: stop routing writes (the routing record says
/// "failing-over"), make sure the old writer can append no more (fence it if its database
/// still answers, otherwise wait until its write lease has certainly run out), open the next
/// epoch on the target after the last position it has, and route. What the old writer
/// acknowledged beyond that position goes to quarantine when it rejoins.
public struct ForcedFailover: Sendable {
    public let source: FailoverRegion
    public let target: FailoverRegion
    /// The record the router follows now; throws when the router can not be asked.
    public let routerRecord: @Sendable () async throws -> RoutingRecord?
    public let leaseMilliseconds: Int64

    public init(
        from source: FailoverRegion, to target: FailoverRegion, leaseMilliseconds: Int64 = Limits.writeLeaseMilliseconds,
        routerRecord: @escaping @Sendable () async throws -> RoutingRecord?
    ) {
        self.source = source
        self.target = target
        self.leaseMilliseconds = leaseMilliseconds
        self.routerRecord = routerRecord
    }

    /// Runs every step, reporting each as it ends; returns the new writer's head and what was
    /// measured of the loss window.
    public func run(report: @escaping (FailoverStep) async -> Void = { _ in }) async throws -> (head: LogHead, lossWindow: LossWindowFigures) {
        let steps = StepRunner(report: report)
        let (record, window) = try await steps.run("preflight") { () -> ((RoutingRecord, LossWindowFigures), String) in
            let (role, _) = try await target.control.state()
            guard role == .reader else { throw RegionControlError("\(target.name) is the \(role.rawValue), not a reader") }
            let window = try await target.control.lossWindow()
            let sourceRecord = try? await source.control.routing()
            guard let record = RoutingRecord.newest([try await target.control.routing(), sourceRecord]) else {
                throw RegionControlError("no region holds a routing record")
            }
            guard record.activeRegion == source.name else {
                throw RegionControlError("the routing record names \(record.activeRegion) active, not \(source.name)")
            }
            return ((record, window), window.description(source: source.name, target: target.name))
        }
        let failing = RoutingRecord(epoch: record.epoch, revision: record.revision + 1, activeRegion: source.name, state: .failingOver)
        try await steps.run("stop-writes") { () -> (Void, String) in
            try await target.control.route(failing)
            let reachedSource = (try? await source.control.route(failing)) != nil
            return ((), "routing record \(failing.state.rawValue) at epoch \(failing.epoch) in \(target.name)" + (reachedSource ? " and \(source.name)" : ""))
        }
        do {
            try await steps.run("fence-or-wait") { () -> (Void, String) in
                if (try? await source.control.fence(epoch: record.epoch)) != nil {
                    return ((), "\(source.name)'s database answered: fenced at epoch \(record.epoch)")
                }
                let waitMilliseconds: Int64
                let deadline = ContinuousClock.now + .milliseconds(Limits.forcedFailoverRouterWaitMilliseconds)
                var seen: RoutingRecord?
                var routerAnswered = false
                while ContinuousClock.now < deadline {
                    if let answer = try? await routerRecord() {
                        routerAnswered = true
                        seen = answer
                        if !failing.isNewer(than: answer) { break }
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                if let seen, !failing.isNewer(than: seen) {
                    // The router has stopped renewing; a renewal already sent lands within its timeout.
                    waitMilliseconds = leaseMilliseconds + Limits.forcedFailoverLeaseMarginMilliseconds
                } else if routerAnswered {
                    throw RegionControlError("the router does not see the failing-over record, so it may still renew \(source.name)'s lease")
                } else {
                    // No router answers: one that still runs stops renewing within the record age.
                    waitMilliseconds = leaseMilliseconds + Limits.forcedFailoverLeaseMarginMilliseconds + Limits.leaseRecordAgeMillisecondsMax
                }
                try await Task.sleep(for: .milliseconds(waitMilliseconds))
                return ((), "\(source.name) unreachable; waited \(waitMilliseconds) ms for its lease to run out")
            }
        } catch {
            // Nothing was promoted: give the routing back to the old writer.
            _ = try? await target.control.route(RoutingRecord(epoch: record.epoch, revision: failing.revision + 1, activeRegion: source.name, state: .active))
            await report(FailoverStep(name: "rollback", outcome: .rolledBack, milliseconds: 0, detail: "routing record back to \(source.name) active"))
            throw error
        }
        let head = try await steps.run("promote") { () -> (LogHead, String) in
            let head = try await target.control.promoteForced(target.name, leaseMilliseconds: leaseMilliseconds)
            return (head, "\(target.name) opened epoch \(head.epoch) after position \(head.position - 1) (EpochStarted at \(head.position))")
        }
        try await steps.run("route") { () -> (Void, String) in
            let reachedSource = (try? await source.control.route(
                RoutingRecord(epoch: head.epoch, revision: 0, activeRegion: target.name, state: .active)
            )) != nil
            return ((), "routing record: \(target.name) active at epoch \(head.epoch)" + (reachedSource ? ", in both regions" : "; \(source.name) learns it when it rejoins"))
        }
        return (head, window)
    }
}

extension LossWindowFigures {
    func description(source: RegionName, target: RegionName) -> String {
        "\(target) has \(source)'s log through position \(headPosition) (\(eventsOfEpoch) events of epoch \(epoch)); "
            + "it last applied a segment \(millisecondsSinceLastApplied) ms ago"
            + (lastEventRecordedAt.map { ", written at \($0.formatted(.iso8601))" } ?? "")
            + ": what \(source) acknowledged after that goes to quarantine when it rejoins"
    }
}
