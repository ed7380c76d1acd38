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
    /// The answering node's database pool now (the router's pool alarm reads it).
    public var pool: PoolFigures?
    /// Segments the answering node refused since it started, by reason (the router's
    /// rejection alarm reads it); empty when it refused none.
    public var segmentsRejected: [String: Int64]?

    /// A node's database pool at one instant.
    public struct PoolFigures: Codable, Sendable, Equatable {
        public var connectionsInUse: Int
        public var connectionsMax: Int
        /// Callers waiting for a connection.
        public var waiting: Int

        public init(connectionsInUse: Int, connectionsMax: Int, waiting: Int) {
            self.connectionsInUse = connectionsInUse
            self.connectionsMax = connectionsMax
            self.waiting = waiting
        }

        /// Every connection is lent out and callers queue for one.
        public var isExhausted: Bool { connectionsInUse >= connectionsMax && waiting > 0 }
    }

    public init(
        region: RegionName, role: RegionRole, epoch: Int64, headPosition: Int64, leaseMillisecondsLeft: Int64?, routing: RoutingRecord?,
        pool: PoolFigures? = nil, segmentsRejected: [String: Int64]? = nil
    ) {
        self.pool = pool
        self.segmentsRejected = segmentsRejected
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
