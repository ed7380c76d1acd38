import RemitCore

/// What `remit up` starts, and where.
public struct StackConfiguration: Sendable {
    public struct Region: Sendable {
        public var name: RegionName
        public var postgresPort: Int
        public var nodePort: Int

        public init(name: RegionName, postgresPort: Int, nodePort: Int) {
            self.name = name
            self.postgresPort = postgresPort
            self.nodePort = nodePort
        }
    }

    /// Absolute path of the data directory.
    public var dataDirectory: String
    public var regions: [Region]
    /// The region that starts as the writer when its database is claimed for the first time.
    public var initialWriter: RegionName
    public var routerPort: Int
    /// The `remit` executable the children run.
    public var executable: String
    public var migrationsDirectory: String
    /// The nodes' and the router's `--log-format`.
    public var logFormat = "text"
    /// Whether the nodes and the router log every request (`--access-log`).
    public var accessLog = false
    /// The router's automatic forced failover (`--auto-failover-after-seconds`; off when nil).
    public var autoFailoverAfterSeconds: Double?
    public var autoFailoverLagEventsMax = Limits.autoFailoverLagEventsMaxDefault

    public init(
        dataDirectory: String, regions: [Region], initialWriter: RegionName, routerPort: Int,
        executable: String, migrationsDirectory: String
    ) {
        self.dataDirectory = dataDirectory
        self.regions = regions
        self.initialWriter = initialWriter
        self.routerPort = routerPort
        self.executable = executable
        self.migrationsDirectory = migrationsDirectory
    }

    /// The write lease the routers grant and the nodes' forced failovers wait out.
    public var leaseMilliseconds = Limits.writeLeaseMilliseconds
    /// How soon after a new event the writer signs a checkpoint of its log.
    public var checkpointMilliseconds = Limits.checkpointIntervalMilliseconds
    /// A second router, so that clients and lease renewals never depend on one process (nil: one router).
    public var secondRouterPort: Int?

    public var logDirectory: String { dataDirectory + "/logs" }
    public var routerURL: String { "http://127.0.0.1:\(routerPort)" }
    public var routerPorts: [Int] { [routerPort] + (secondRouterPort.map { [$0] } ?? []) }
    public var routerURLs: [String] { routerPorts.map { "http://127.0.0.1:\($0)" } }
    public func nodeURL(_ region: Region) -> String { "http://127.0.0.1:\(region.nodePort)" }
}
