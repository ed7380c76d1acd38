import Foundation
import Hummingbird
import Logging
import RemitCore
import RemitStorage

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

    public init(
        host: String = "127.0.0.1", port: Int = 8081, amountMax: Int64 = Limits.amountMinorUnitsMax,
        idleTimeoutSeconds: Int64 = Limits.httpIdleTimeoutSeconds, auth: AuthConfiguration = AuthConfiguration(),
        tls: ServerTLS? = nil
    ) {
        self.tls = tls
        self.host = host
        self.port = port
        self.amountMax = amountMax
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.auth = auth
    }
}

/// The routes of a region node. Split from `buildNodeApplication` so tests can drive the router alone.
public func buildNodeRouter(
    node: RegionNode, api: LedgerAPI, identity: NodeIdentity, tls: Bool = false, recorder: RouteRecorder? = nil
) -> Router<NodeRequestContext> {
    let router = Router(context: NodeRequestContext.self)
    // Outermost, so that problems made by the next ones carry the headers too.
    router.middlewares.add(SecurityHeadersMiddleware(tls: tls))
    router.middlewares.add(ProblemMiddleware())
    router.middlewares.add(HeaderLimitsMiddleware())
    router.middlewares.add(ClientAddressMiddleware(trustedProxies: identity.configuration.trustedProxies))
    if !identity.configuration.corsAllowedOrigins.isEmpty {
        router.middlewares.add(CORSAllowListMiddleware(allowedOrigins: identity.configuration.corsAllowedOrigins))
    }
    let routes = NodeRoutes(router: router, accessGuard: identity.accessGuard, recorder: recorder)
    addLedgerRoutes(to: routes, api: api)
    addAuthRoutes(to: routes, identity: identity)
    addAdminRoutes(to: routes, identity: identity)
    routes.add(.get, "/healthz", .anyone) { _, _ in
        try jsonResponse(Liveness())
    }
    routes.add(.get, "/readyz", .anyone) { _, _ in
        switch await node.readiness() {
        case .success(let state): return try jsonResponse(Readiness(state: state))
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
    let appender = Appender(pool: node.pool, amountMax: configuration.amountMax, logger: logger) { _ in projector.notify() }
    let api = LedgerAPI(
        appender: appender, reader: LedgerReader(pool: node.pool), regionStore: RegionStore(pool: node.pool),
        amountMax: configuration.amountMax
    )
    let identity = NodeIdentity(
        store: IdentityStore(pool: node.pool, region: node.region.rawValue),
        keyStore: SigningKeyStore(pool: node.pool, region: node.region.rawValue),
        configuration: configuration.auth, logger: logger
    )
    return Application(
        router: buildNodeRouter(node: node, api: api, identity: identity, tls: configuration.tls != nil),
        server: try ServerTLS.serverBuilder(configuration.tls, idleTimeoutSeconds: configuration.idleTimeoutSeconds),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "remit-\(node.region)"
        ),
        services: [appender, projector, identity],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
