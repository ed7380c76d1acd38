import RemitCore

/// The reader's pull loop as a state machine: what the puller does next, decided from what its
/// last action found. Pure (no I/O, no clock), so every turn of the loop has a test; the
/// `ReplicationPuller` is the thin driver that carries out each action.
///
/// While the region is a reader, the loop holds the region's puller lock and pulls; while it is
/// the writer (or fenced) it asks whether another region opened a newer epoch (a forced failover
/// that replaced it), and rejoins. A failure backs off, doubling up to a bound, and drops the
/// lock's session, which may be what broke.
public struct PullLoop: Sendable, Equatable {
    /// What the node shows as its replication mode.
    public enum Mode: String, Sendable {
        case off
        /// The writer (or fenced): serves segments, watches for a newer epoch elsewhere.
        case serving
        /// Another node of this region holds the puller lock.
        case standbyPuller = "standby-puller"
        case pulling
    }

    public enum Action: Sendable, Equatable {
        /// Read this region's role from its database.
        case readRole
        /// Not a reader: ask the other region for its epochs and rejoin if it opened a newer one.
        case checkRejoin
        /// Try to take the region's puller lock.
        case takeLock
        /// One long-poll pull and its apply.
        case pull
        /// Sleep, then read the role again.
        case wait(milliseconds: Int64)
        /// After a failure: drop the lock's session and any prefetch, sleep, read the role again.
        case backOff(milliseconds: Int64)
    }

    public private(set) var mode: Mode = .off
    public private(set) var holdsLock = false
    public private(set) var backoffMilliseconds = Limits.pullBackoffMillisecondsMin

    public init() {}

    /// The loop's first action.
    public func start() -> Action { .readRole }

    /// The region's role, or nil when no node has claimed its database yet.
    public mutating func roleRead(_ role: RegionRole?) -> Action {
        guard role == .reader else {
            mode = .serving
            return .checkRejoin
        }
        return holdsLock ? pullNow() : .takeLock
    }

    public mutating func rejoinChecked() -> Action {
        .wait(milliseconds: Limits.rejoinCheckIntervalMilliseconds)
    }

    public mutating func lockTaken(_ taken: Bool) -> Action {
        holdsLock = taken
        guard taken else {
            mode = .standbyPuller
            return .wait(milliseconds: Limits.standbyPullerCheckMilliseconds)
        }
        return pullNow()
    }

    /// A pull ended; `answered` is true when the writer answered as expected (a segment applied,
    /// or nothing new), which ends any back-off.
    public mutating func pulled(answered: Bool) -> Action {
        if answered { backoffMilliseconds = Limits.pullBackoffMillisecondsMin }
        return .readRole
    }

    public mutating func waited() -> Action { .readRole }

    /// Any action failed (the database, the writer, a rejected segment).
    public mutating func failed() -> Action {
        holdsLock = false
        let wait = backoffMilliseconds
        backoffMilliseconds = min(backoffMilliseconds * 2, Limits.pullBackoffMillisecondsMax)
        return .backOff(milliseconds: wait)
    }

    private mutating func pullNow() -> Action {
        mode = .pulling
        return .pull
    }
}
