import RemitCore
import RemitDomain

public struct RejoinError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

/// Rejoin's decision, pure: whether another region's epoch history shows that a forced failover
/// replaced this region, where the two logs forked, and whether it is safe to cut this region's
/// log back to the fork. `RegionRejoin` reads the facts in one transaction and carries it out.
public struct RejoinFork: Sendable, Equatable {
    /// The first epoch of the other region's log that is newer than this region's.
    public let newer: EpochStarted
    /// This region's head position.
    public let localHead: Int64

    /// The last position both logs share; the new writer's epoch starts after it.
    public var position: Int64 { newer.afterPosition }
    /// True when this region wrote past the fork: that tail goes to quarantine.
    public var cutsTail: Bool { position < localHead }
    /// Where this region's log ends once it rejoined.
    public var readerHead: Int64 { min(position, localHead) }

    /// The fork, when this region (a writer or fenced one, at `epoch`) was replaced; nil when it
    /// was not (a reader, or no newer epoch elsewhere): then nothing changes.
    public static func find(role: RegionRole, epoch: Int64, localHead: Int64, writerEpochs: [EpochStarted]) -> RejoinFork? {
        guard role != .reader, let newer = writerEpochs.first(where: { $0.epoch > epoch }) else { return nil }
        return RejoinFork(newer: newer, localHead: localHead)
    }

    /// Both histories must agree on every epoch this region knows: otherwise the logs forked
    /// before the newest failover and no automatic step is safe.
    public func check(localEpochs: [EpochStarted], writerEpochs: [EpochStarted]) throws(RejoinError) {
        for local in localEpochs where writerEpochs.first(where: { $0.epoch == local.epoch }) != local {
            throw RejoinError(description: "epoch \(local.epoch) started differently in the other region's log: left as it is, for an operator")
        }
    }

    /// The hash this region's log has at the fork must be the one the new epoch continues.
    public func check(hashAtFork hash: [UInt8]) throws(RejoinError) {
        guard hash.hex == newer.previousHash else {
            throw RejoinError(description: "the hash at the fork point \(position) differs from the new writer's: left as it is, for an operator")
        }
    }
}
