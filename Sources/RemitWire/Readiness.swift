import RemitCore

/// The body of a node's `/readyz` when it is ready; the router reads it to choose a region.
public struct Readiness: Codable, Sendable, Equatable {
    public var status: String
    public var region: RegionName
    public var role: RegionRole
    public var epoch: Int64
    public var headPosition: Int64
    /// How long the write lease still holds (0: expired); absent when no router leased the region.
    public var leaseMillisecondsLeft: Int64?
    /// This region's copy of the routing record.
    public var routing: RoutingRecord?

    public init(
        region: RegionName, role: RegionRole, epoch: Int64, headPosition: Int64, leaseMillisecondsLeft: Int64?, routing: RoutingRecord?
    ) {
        self.status = "ready"
        self.region = region
        self.role = role
        self.epoch = epoch
        self.headPosition = headPosition
        self.leaseMillisecondsLeft = leaseMillisecondsLeft
        self.routing = routing
    }
}

/// The body of `/healthz`: the process is alive and answering.
public struct Liveness: Codable, Sendable, Equatable {
    public var status = "alive"
    public init() {}
}
