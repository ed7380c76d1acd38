import RemitCore
import RemitDomain

/// What a runbook's driver asks of one region: the role changes of a failover and the reads it
/// decides on. `RegionControl` does them in the region's database; a test may do them in memory.
public protocol RegionControlling: Sendable {
    /// The region's role and head, read without locking.
    func state() async throws -> (role: RegionRole, head: LogHead)
    /// The writer at `epoch` stops accepting appends; returns its final head.
    func fence(epoch: Int64) async throws -> LogHead
    /// Undoes a fence (a failover rolled back before promoting anyone).
    func unfence(epoch: Int64) async throws
    /// The fenced old writer becomes a reader of the new one.
    func demote(epoch: Int64) async throws
    /// Opens the next epoch in a reader whose head is exactly `head`.
    func promote(_ region: RegionName, after head: LogHead, leaseMilliseconds: Int64?) async throws -> LogHead
    /// Opens the next epoch in a reader after whatever it has (forced failover).
    func promoteForced(_ region: RegionName, leaseMilliseconds: Int64) async throws -> LogHead
    /// Stores `record` unless a newer one is held; returns the copy now held.
    @discardableResult
    func route(_ record: RoutingRecord) async throws -> RoutingRecord?
    /// The region's copy of the routing record.
    func routing() async throws -> RoutingRecord?
    /// What a forced failover to this reader would keep of the writer's log.
    func lossWindow() async throws -> LossWindowFigures
    /// True when a router has leased this region.
    func isLeased() async throws -> Bool
}

extension RegionControl: RegionControlling {}

/// One region as a failover sees it.
public struct FailoverRegion: Sendable {
    public let name: RegionName
    public let control: any RegionControlling

    public init(name: RegionName, control: any RegionControlling) {
        self.name = name
        self.control = control
    }
}
