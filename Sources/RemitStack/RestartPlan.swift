import RemitCore

/// When `remit up` starts again a process or cluster that died: pure (deaths in, a decision
/// out), so the back-off and the bound are tested without a clock. The first restart comes
/// after `Limits.restartBackoffMillisecondsMin`; each further one within
/// `Limits.restartWindowSeconds` waits twice as long, up to `Limits.restartBackoffMillisecondsMax`;
/// beyond `Limits.restartsPerWindowMax` restarts in the window it gives up (a crash loop).
public struct RestartPlan: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        /// Start it again after `milliseconds`; this is restart number `count` since `remit up` began.
        case restart(afterMilliseconds: Int64, count: Int)
        /// It died `restartsPerWindowMax + 1` times within the window.
        case giveUp(restartsInWindow: Int)
    }

    /// The instants of the restarts within the window, in seconds on the caller's clock.
    private var recent: [Double] = []
    /// Every restart since `remit up` began.
    public private(set) var count = 0

    public init() {}

    /// It died at `now` (seconds on any monotonic clock).
    public mutating func died(at now: Double) -> Decision {
        recent.removeAll { now - $0 >= Double(Limits.restartWindowSeconds) }
        guard recent.count < Limits.restartsPerWindowMax else { return .giveUp(restartsInWindow: recent.count) }
        let delay = min(Limits.restartBackoffMillisecondsMax, Limits.restartBackoffMillisecondsMin << Int64(recent.count))
        recent.append(now)
        count += 1
        return .restart(afterMilliseconds: delay, count: count)
    }
}
