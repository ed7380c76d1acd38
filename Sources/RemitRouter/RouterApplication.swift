import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import RemitWire
import RemitConsole
import RemitMetrics
import RemitCore
import ServiceLifecycle

/// The router's request context: Hummingbird's basic one plus the client's address, which the
/// router passes on in `X-Forwarded-For`.
public struct RouterRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// The router's routes: its own `/healthz` and `/readyz`, a view of the regions, and `/api/…`
/// proxied to the active region.
public func buildRouterRouter(
    checker: HealthChecker, client: HTTPClient, limiter: KeyedRateLimiter, tls: Bool = false,
    metrics: MetricsRegistry = MetricsRegistry(), metricsToken: String? = nil, accessLog: Bool = false,
    history: FigureHistory = FigureHistory(checker: nil), autoFailover: @escaping @Sendable () -> AutoFailover.Status? = { nil },
    leaseMilliseconds: Int64? = nil
) -> Router<RouterRequestContext> {
    let router = Router(context: RouterRequestContext.self)
    // Outermost of all: the figures count the answer the client got, refusals included.
    router.middlewares.add(RequestMetricsMiddleware(metrics: metrics))
    router.middlewares.add(RequestLogMiddleware(accessLog: accessLog))
    router.middlewares.add(FigureHistoryMiddleware(history: history))
    let figures = RouterMetrics(metrics: metrics, checker: checker, history: history)
    router.middlewares.add(SecurityHeadersMiddleware(tls: tls))
    router.middlewares.add(HeaderLimitsMiddleware())
    router.middlewares.add(ProblemMiddleware())
    router.middlewares.add(RateLimitMiddleware(
        limiter: limiter, refused: metrics.counter("remit_router_rate_limited_total", "Requests refused because their address sent too many.")
    ))
    ConsoleFiles.add(to: router)
    MetricsEndpoint.add(to: router, metrics: metrics, token: metricsToken)
    router.get("/healthz") { _, _ in try jsonResponse(Liveness()) }
    router.get("/readyz") { _, _ in
        guard let active = checker.active else { throw noActiveRegion(checker.regions) }
        return try jsonResponse(RouterReadiness(
            active: active.region, routing: RegionSelection.record(checker.regions), leaseMilliseconds: leaseMilliseconds, regions: checker.regions
        ))
    }
    // The console's charts: coarse figures, the same any client of the router sees in its answers.
    router.get("/router/history") { _, _ in try jsonResponse(history.history) }
    router.get("/router/alarms") { _, _ in
        var report = history.alarms
        report.autoFailover = autoFailover()
        return try jsonResponse(report)
    }
    router.get("/router/regions") { _, _ in
        try jsonResponse(RouterReadiness(
            active: checker.active?.region, routing: RegionSelection.record(checker.regions), leaseMilliseconds: leaseMilliseconds,
            regions: checker.regions
        ))
    }

    let proxy = Proxy(client: client, timeoutMilliseconds: Limits.proxyTimeoutMilliseconds)
    let holding = RequestHold(checker: checker)
    let forward: @Sendable (Request, RouterRequestContext) async throws -> Response = { request, context in
        let prepared = try await proxy.prepare(request, clientAddress: context.clientAddress)
        // While a failover switches there may be no writer for a moment, or the old one may
        // answer "not the writer" (or, its database gone, "storage unavailable"; or its lease
        // lapsed while the router was stalled): hold the request (bounded) until a writer is seen.
        let deadline = ContinuousClock.now + .milliseconds(Limits.routerHoldMillisecondsMax)
        let failingOverDeadline = ContinuousClock.now + .milliseconds(Limits.routerHoldFailingOverMillisecondsMax)
        // Reads do not wait for a writer: any region that answers has a verified prefix of the log.
        // Nor does an operator's failover, which is what brings a writer back when there is none.
        let needsNoWriter = request.method == .get || request.method == .head
            || (request.method == .post && request.uri.path == "/api/v1/admin/failover")
        var target: RegionHealth
        if needsNoWriter, let readable = RegionSelection.readable(checker.regions) {
            target = readable
        } else {
            target = try await held(figures) {
                try await holding.activeRegion(until: deadline, failingOverDeadline: failingOverDeadline, seenAfter: nil)
            }
        }
        while true {
            let answer: Proxy.Answer
            do {
                answer = try await proxy.send(prepared, to: target.url)
            } catch {
                figures.forwarded(to: target.region, outcome: "unreachable")
                context.logger.warning("proxying failed", metadata: ["region": "\(target.region)", "error": "\(error)"])
                throw Problem(
                    slug: "region-unreachable", title: "Region unreachable", status: .badGateway,
                    detail: "region \(target.region) did not answer"
                )
            }
            // Nothing was written (or, with a key, a second try is a repeat): send it again to
            // the writer that health checks made after this answer show, the same region once
            // its lease is renewed, or the new writer.
            let mayGoElsewhere = answer.isNotWriter || (answer.isStorageUnavailable && prepared.hasIdempotencyKey)
            let answeredAt = ContinuousClock.now
            guard mayGoElsewhere,
                let next = try? await held(figures, {
                    try await holding.activeRegion(until: deadline, failingOverDeadline: failingOverDeadline, seenAfter: answeredAt)
                })
            else {
                figures.forwarded(to: target.region, outcome: RouterMetrics.outcome(status: answer.response.status.code))
                return answer.response
            }
            figures.forwarded(to: target.region, outcome: "resent")
            target = next
        }
    }
    for method: HTTPRequest.Method in [.get, .head, .post, .put, .patch, .delete, .options] {
        router.on("/api", method: method, use: forward)
        router.on("/api/**", method: method, use: forward)
    }
    // The keys that verify tokens, as the active region publishes them (it trusts the others').
    router.on("/.well-known/jwks.json", method: .get, use: forward)
    return router
}

/// Waits for a region as `wait` does, counted as a hold when it did not answer at once.
private func held(_ figures: RouterMetrics, _ wait: () async throws -> RegionHealth) async throws -> RegionHealth {
    let started = ContinuousClock.now
    let region = try await wait()
    let elapsed = ContinuousClock.now - started
    if elapsed > .milliseconds(1) { figures.held(elapsed) }
    return region
}

public func buildRouterApplication(
    configuration: RouterConfiguration,
    client: HTTPClient,
    logger: Logger
) throws -> some ApplicationProtocol {
    let checker = HealthChecker(configuration: configuration, client: client, logger: logger)
    // Alarm changes go to the audit trail of a region, whose nodes take only signed requests.
    let auditor = configuration.deploymentKey.map { AlarmAuditor(
        checker: checker, client: client, key: $0, source: "router \(configuration.host):\(configuration.port)", logger: logger
    ) }
    // A shorter lease than the default is always under 2 s: its alarm looks at what is left of it.
    var thresholds = configuration.alarmThresholds
    thresholds.leaseMillisecondsLeftMin = min(thresholds.leaseMillisecondsLeftMin, configuration.leaseMilliseconds * 2 / 5)
    let history = FigureHistory(checker: checker, thresholds: thresholds, logger: logger) { auditor?.enqueue($0) }
    var services: [any Service] = [checker] + (auditor.map { [$0] } ?? [])
    let autoFailover = configuration.autoFailover.flatMap { policy in
        configuration.deploymentKey.map { AutoFailoverService(policy: policy, checker: checker, client: client, key: $0, logger: logger) }
    }
    if let autoFailover { services.append(autoFailover) }
    if let key = configuration.deploymentKey {
        services.append(LeaseRenewer(
            checker: checker, client: client, key: key, leaseMilliseconds: configuration.leaseMilliseconds,
            intervalMilliseconds: configuration.leaseRenewIntervalMilliseconds, logger: logger
        ))
    }
    return Application(
        router: buildRouterRouter(
            checker: checker, client: client,
            limiter: KeyedRateLimiter(requestsPerSecond: configuration.requestsPerSecondPerAddress, burst: configuration.burstPerAddress),
            tls: configuration.tls != nil, metricsToken: configuration.metricsToken,
            accessLog: configuration.accessLog, history: history, autoFailover: { autoFailover?.status },
            leaseMilliseconds: configuration.deploymentKey == nil ? nil : configuration.leaseMilliseconds
        ),
        server: try ServerTLS.serverBuilder(configuration.tls, idleTimeoutSeconds: Limits.httpIdleTimeoutSeconds),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "remit-router"),
        services: services,
        logger: logger
    )
}

/// The router's `/readyz` and `/router/regions` body.
public struct RouterReadiness: Codable, Sendable, Equatable {
    public var active: RegionName?
    /// The newest routing record any region holds.
    public var routing: RoutingRecord?
    /// The write lease this router grants the writer (absent: it renews none); a forced
    /// failover waits out the longest any router grants.
    public var leaseMilliseconds: Int64?
    public var regions: [RegionHealth]
}

func noActiveRegion(_ regions: [RegionHealth]) -> Problem {
    let reasons = regions.map { "\($0.region): \($0.readiness.map { "\($0.role) at epoch \($0.epoch)" } ?? $0.reason ?? "unknown")" }
    return Problem(
        slug: "no-active-region", title: "No active region", status: .serviceUnavailable,
        detail: "no region is a ready writer (" + reasons.joined(separator: "; ") + ")"
    )
}
