import RemitWire
import RemitCore

/// Where the router listens and which regions it fronts.
public struct RouterConfiguration: Sendable {
    public struct Region: Sendable, Equatable {
        public var name: RegionName
        /// The base URL of one of the region's nodes, such as `http://127.0.0.1:8081`.
        public var url: String

        public init(name: RegionName, url: String) {
            self.name = name
            self.url = url
        }
    }

    public var host: String
    public var port: Int
    public var regions: [Region]
    public var healthCheckIntervalMilliseconds: Int64
    public var healthCheckTimeoutMilliseconds: Int64
    /// Requests per second one client address may make through the router, sustained and at once.
    public var requestsPerSecondPerAddress: Double
    public var burstPerAddress: Double
    /// Serve HTTPS with this certificate and key; plain HTTP when nil.
    public var tls: ServerTLS?
    /// The deployment key the router signs lease renewals with; without it no lease is renewed
    /// (writers then run unleased, and a forced failover can not be made safe).
    public var deploymentKey: ReplicationKey?
    /// The write lease the router grants the active writer (`--lease-milliseconds`), renewed
    /// every second or every third of it when that is shorter.
    public var leaseMilliseconds: Int64 = Limits.writeLeaseMilliseconds
    public var leaseRenewIntervalMilliseconds: Int64 { min(Limits.leaseRenewIntervalMilliseconds, leaseMilliseconds / 3) }
    /// The bearer token a Prometheus scrape of `/metrics` presents; `/metrics` is off without one.
    public var metricsToken: String?
    /// One log line per request answered (method, route, status, milliseconds).
    public var accessLog = false
    /// When the alarms fire (`--alarms-file`).
    public var alarmThresholds = AlarmThresholds()
    /// Automatic forced failover (`--auto-failover-after-seconds`); off when nil. It needs the
    /// deployment key (the target's node takes only a signed request).
    public var autoFailover: AutoFailover.Policy?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        regions: [Region],
        healthCheckIntervalMilliseconds: Int64 = Limits.healthCheckIntervalMilliseconds,
        healthCheckTimeoutMilliseconds: Int64 = Limits.healthCheckTimeoutMilliseconds,
        requestsPerSecondPerAddress: Double = Limits.routerRequestsPerSecondPerAddress,
        burstPerAddress: Double = Limits.routerBurstPerAddress
    ) {
        self.requestsPerSecondPerAddress = requestsPerSecondPerAddress
        self.burstPerAddress = burstPerAddress
        self.host = host
        self.port = port
        self.regions = regions
        self.healthCheckIntervalMilliseconds = healthCheckIntervalMilliseconds
        self.healthCheckTimeoutMilliseconds = healthCheckTimeoutMilliseconds
    }
}
