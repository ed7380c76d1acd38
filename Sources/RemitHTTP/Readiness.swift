import RemitCore
import RemitStorage

/// The body of a node's `/readyz` when it is ready; the router reads it to choose a region.
public struct Readiness: Codable, Sendable, Equatable {
    public var status: String
    public var region: RegionName
    public var role: RegionRole
    public var epoch: Int64
    public var headPosition: Int64

    public init(state: RegionState) {
        self.status = "ready"
        self.region = state.region
        self.role = state.role
        self.epoch = state.epoch
        self.headPosition = state.headPosition
    }
}

/// The body of `/healthz`: the process is alive and answering.
public struct Liveness: Codable, Sendable, Equatable {
    public var status = "alive"
    public init() {}
}
