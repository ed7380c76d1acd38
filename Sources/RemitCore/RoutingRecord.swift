/// Which region gets the traffic, at which epoch, and whether a forced failover is switching.
/// Every region's database holds a copy; copies only ever move forward in (epoch, revision),
/// so the newest copy any region holds is the one to follow.
public struct RoutingRecord: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// `activeRegion` gets reads and writes; the router renews its write lease.
        case active
        /// A forced failover is switching: no region gets writes and no lease is renewed.
        case failingOver = "failing-over"
    }

    public var epoch: Int64
    public var revision: Int64
    public var activeRegion: RegionName
    public var state: State

    public init(epoch: Int64, revision: Int64, activeRegion: RegionName, state: State) {
        precondition(epoch > 0 && revision >= 0, "a routing record names a real epoch")
        self.epoch = epoch
        self.revision = revision
        self.activeRegion = activeRegion
        self.state = state
    }

    /// True when `self` replaces `other`.
    public func isNewer(than other: RoutingRecord?) -> Bool {
        guard let other else { return true }
        return (epoch, revision) > (other.epoch, other.revision)
    }

    /// The newest of several copies (nil when there are none).
    public static func newest(_ copies: [RoutingRecord?]) -> RoutingRecord? {
        copies.reduce(nil) { newest, copy in copy.map { $0.isNewer(than: newest) ? $0 : newest } ?? newest }
    }
}
