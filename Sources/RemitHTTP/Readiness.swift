import RemitCore
import RemitStorage

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

    public init(state: RegionState) {
        self.status = "ready"
        self.region = state.region
        self.role = state.role
        self.epoch = state.epoch
        self.headPosition = state.headPosition
        self.leaseMillisecondsLeft = state.leaseMillisecondsLeft
        self.routing = state.routing
    }
}

/// The body of `/healthz`: the process is alive and answering.
public struct Liveness: Codable, Sendable, Equatable {
    public var status = "alive"
    public init() {}
}
