import RemitCore
import Synchronization

/// Holds requests while no region is the writer (a failover between fence and promote) or
/// while the region they reached refused to write (it has just stopped being the writer, or its
/// lease lapsed while no router renewed it), until health checks made after that refusal show a
/// writer. Bounded twice: how many requests wait at once, and how long each waits (longer while
/// the routing record says a forced failover is switching, which takes a lease's time).
final class RequestHold: Sendable {
    let checker: HealthChecker
    private let waiting = Mutex(0)

    init(checker: HealthChecker) {
        self.checker = checker
    }

    /// The active region as health checks that started after `seenAfter` (if given) show it,
    /// waiting for it until `deadline`, or until `failingOverDeadline` while the newest routing
    /// record says "failing-over".
    func activeRegion(
        until deadline: ContinuousClock.Instant, failingOverDeadline: ContinuousClock.Instant, seenAfter: ContinuousClock.Instant?
    ) async throws -> RegionHealth {
        func fresh() -> RegionHealth? {
            let (regions, roundStartedAt) = checker.snapshot
            if let seenAfter, (roundStartedAt.map { $0 <= seenAfter } ?? true) { return nil }
            return RegionSelection.active(regions)
        }
        if let active = fresh() { return active }
        let admitted = waiting.withLock { count in
            guard count < Limits.routerHeldRequestsMax else { return false }
            count += 1
            return true
        }
        guard admitted else { throw noActiveRegion(checker.regions) }
        defer { waiting.withLock { $0 -= 1 } }
        // Once a forced failover is seen switching, the longer bound holds to the end: the
        // moment it promotes, the record stops saying "failing-over" a health check before the
        // new writer is seen ready.
        var until = deadline
        while ContinuousClock.now < until {
            await checker.checkAll(ifOlderThan: Limits.routerHoldCheckMilliseconds)
            if let active = fresh() { return active }
            if RegionSelection.record(checker.regions)?.state == .failingOver { until = max(until, failingOverDeadline) }
            try await Task.sleep(for: .milliseconds(Limits.routerHoldCheckMilliseconds))
        }
        throw noActiveRegion(checker.regions)
    }
}
