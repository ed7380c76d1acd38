import Foundation
import Hummingbird
import Logging
import RemitAuth
import RemitConsole
import RemitCore
import RemitFailover
import RemitMetrics
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitWire
import ServiceLifecycle

/// Where a node listens.
public struct NodeConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The largest amount one remittance may carry, in minor units.
    public var amountMax: Int64
    /// Silent connections are closed after this long.
    public var idleTimeoutSeconds: Int64
    public var auth: AuthConfiguration
    /// Serve HTTPS with this certificate and key; plain HTTP when nil.
    public var tls: ServerTLS?
    public var replication: ReplicationConfiguration
    public var control = ControlConfiguration()
    /// The bearer token a Prometheus scrape of `/metrics` presents; `/metrics` is off without one.
    public var metricsToken: String?
    /// Whether the node keeps figures at all (`remit bench append` measures what they cost).
    public var metrics = true
    /// One log line per request answered (method, route, status, milliseconds).
    public var accessLog = false

    public init(
        host: String = "127.0.0.1", port: Int = 8081, amountMax: Int64 = Limits.amountMinorUnitsMax,
        idleTimeoutSeconds: Int64 = Limits.httpIdleTimeoutSeconds, auth: AuthConfiguration = AuthConfiguration(),
        tls: ServerTLS? = nil, replication: ReplicationConfiguration = ReplicationConfiguration()
    ) {
        self.tls = tls
        self.replication = replication
        self.host = host
        self.port = port
        self.amountMax = amountMax
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.auth = auth
    }
}

/// The routes of a region node. Split from `buildNodeApplication` so tests can drive the router alone.
public func buildNodeRouter(
    node: RegionNode, api: LedgerAPI, identity: NodeIdentity, replication: NodeReplication, tls: Bool = false,
    control: ControlConfiguration = ControlConfiguration(), failoverPools: [RegionName: PostgresPool] = [:],
    recorder: RouteRecorder? = nil, metrics: MetricsRegistry = MetricsRegistry(), metricsToken: String? = nil, accessLog: Bool = false,
    metricsEnabled: Bool = true
) -> Router<NodeRequestContext> {
    // HEAD wherever GET is answered (RFC 9110 §9.3.2), as the 405s' Allow says.
    let router = Router(context: NodeRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outermost of all: the figures count the answer the client got, problems and all.
    if metricsEnabled { router.middlewares.add(RequestMetricsMiddleware(metrics: metrics)) }
    router.middlewares.add(RequestLogMiddleware(accessLog: accessLog))
    // Outermost, so that problems made by the next ones carry the headers too.
    router.middlewares.add(SecurityHeadersMiddleware(tls: tls))
    router.middlewares.add(RegionHeaderMiddleware(region: node.region.rawValue))
    router.middlewares.add(ProblemMiddleware())
    let methods = MethodTable()
    router.middlewares.add(MethodNotAllowedMiddleware(table: methods))
    router.middlewares.add(HeaderLimitsMiddleware())
    router.middlewares.add(ClientAddressMiddleware(trustedProxies: identity.configuration.trustedProxies))
    if !identity.configuration.corsAllowedOrigins.isEmpty {
        router.middlewares.add(CORSAllowListMiddleware(allowedOrigins: identity.configuration.corsAllowedOrigins))
    }
    router.middlewares.add(LagHeadersMiddleware(status: replication.status))
    ConsoleFiles.add(to: router)
    let routes = NodeRoutes(router: router, accessGuard: identity.accessGuard, recorder: recorder, methods: methods)
    addReplicationRoutes(to: router, configuration: replication.configuration, service: replication.service, identity: identity.store)
    addControlRoutes(to: router, configuration: replication.configuration, control: RegionControl(pool: node.pool), identity: identity.store)
    addAutomaticFailoverRoute(
        to: router, configuration: replication.configuration, region: node.region, status: replication.status,
        failoverPools: failoverPools, control: control
    )
    routes.add(.get, "/api/v1/replication", .only(.operator, .auditor)) { _, _ in
        try jsonResponse(replication.status.current)
    }
    addRemittanceRoutes(to: routes, api: api)
    addBatchRoutes(to: routes, api: api)
    addLedgerRoutes(to: routes, api: api)
    addAuthRoutes(to: routes, identity: identity, metrics: metrics)
    addAdminRoutes(to: routes, identity: identity)
    addOperatorRoutes(to: routes, node: node, control: control, failoverPools: failoverPools)
    if metricsEnabled {
        MetricsEndpoint.add(to: router, metrics: metrics, token: metricsToken)
        NodeMetrics.register(in: metrics, node: node, replication: replication, appender: api.appender)
        NodeMetrics.registerRunbooks(in: metrics, pool: node.pool)
    }
    routes.add(.get, "/healthz", .anyone) { _, _ in
        try jsonResponse(Liveness())
    }
    routes.add(.get, "/readyz", .anyone) { _, _ in
        switch await node.readiness() {
        case .success(let state):
            let pool = node.pool.statistics
            return try jsonResponse(Readiness(
                state, pool: .init(connectionsInUse: pool.lent, connectionsMax: node.pool.connectionsMax, waiting: pool.waiting),
                segmentsRejected: replication.status.current.segmentsRejected
            ))
        case .failure(let problem): return problem.makeResponse()
        }
    }
    return router
}

/// - Parameter onServerRunning: called with the port once listening (port 0 picks a free one).
public func buildNodeApplication(
    node: RegionNode,
    configuration: NodeConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let projector = Projector(pool: node.pool, logger: logger)
    let replication = NodeReplication(configuration: configuration.replication, pool: node.pool)
    let metrics = MetricsRegistry()
    var onBatch: @Sendable (Appender.Batch) -> Void = { _ in }
    if configuration.metrics { onBatch = NodeMetrics.appendObserver(metrics) }
    let appender = Appender(pool: node.pool, amountMax: configuration.amountMax, logger: logger, onBatch: onBatch) { _ in
        projector.notify()
        replication.commits.signal()
    }
    let api = LedgerAPI(
        appender: appender, reader: LedgerReader(pool: node.pool), regionStore: RegionStore(pool: node.pool),
        amountMax: configuration.amountMax
    )
    let identity = NodeIdentity(
        store: IdentityStore(pool: node.pool, region: node.region.rawValue) { _ in
            projector.notify()
            replication.commits.signal()
        },
        keyStore: SigningKeyStore(pool: node.pool, region: node.region.rawValue),
        configuration: configuration.auth, seal: CredentialSeal(key: configuration.replication.key?.credentialSealKey),
        forwarder: configuration.replication.key.flatMap { key in
            configuration.replication.source.map {
                AuditForwarder(writer: HTTPSegmentSource(baseURL: $0, key: key, region: node.region.rawValue))
            }
        },
        logger: logger
    )
    return Application(
        router: buildNodeRouter(
            node: node, api: api, identity: identity, replication: replication, tls: configuration.tls != nil,
            control: configuration.control,
            failoverPools: configuration.control.failoverDatabaseURLs.mapValues {
                PostgresPool(url: $0, connectionsMax: 2, applicationName: "remit failover \(node.region)")
            },
            metrics: metrics, metricsToken: configuration.metricsToken, accessLog: configuration.accessLog, metricsEnabled: configuration.metrics
        ),
        server: try ServerTLS.serverBuilder(configuration.tls, idleTimeoutSeconds: configuration.idleTimeoutSeconds),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "remit-\(node.region)"
        ),
        services: [appender, projector, identity] + puller(node, replication, projector: projector, logger: logger),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// The replication puller, when the node has a key and a region to pull from.
private func puller(_ node: RegionNode, _ replication: NodeReplication, projector: Projector, logger: Logger) -> [any Service] {
    guard let key = replication.configuration.key, let source = replication.configuration.source else { return [] }
    let rejoin = RegionRejoin(pool: node.pool, region: node.region.rawValue)
    return [ReplicationPuller(
        region: node.region.rawValue, pool: node.pool, source: HTTPSegmentSource(baseURL: source, key: key, region: node.region.rawValue),
        status: replication.status, logger: logger,
        rejoin: { try await rejoin.rejoin($0, logger: logger) }, onApplied: { projector.notify() }
    )]
}

extension Readiness {
    /// A ready node's answer: its region's row as its database holds it, and the node's own figures.
    init(_ state: RegionState, pool: PoolFigures? = nil, segmentsRejected: [String: Int64]? = nil) {
        self.init(
            region: state.region, role: state.role, epoch: state.epoch, headPosition: state.headPosition,
            leaseMillisecondsLeft: state.leaseMillisecondsLeft, routing: state.routing, pool: pool, segmentsRejected: segmentsRejected
        )
    }
}
