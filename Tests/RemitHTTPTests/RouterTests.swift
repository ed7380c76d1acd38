import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOHTTP1
import RemitFailover
import RemitMetrics
import RemitReplication
import RemitWire
import RemitAuth
import RemitCore
import RemitDomain
import RemitStorage
import RemitTestSupport
import ServiceLifecycle
import Testing
@testable import RemitHTTP
@testable import RemitRouter

@Suite("router")
struct RouterTests {
    static let east = RegionName(rawValue: "east")!
    static let west = RegionName(rawValue: "west")!

    private func health(
        _ region: RegionName, _ role: RegionRole?, epoch: Int64 = 1, head: Int64 = 0, routing: RoutingRecord? = nil
    ) -> RegionHealth {
        var health = RegionHealth(region: region, url: "http://\(region)", reason: role == nil ? "down" : nil)
        if let role {
            health.readiness = Readiness(
                region: region, role: role, epoch: epoch, headPosition: head, leaseMillisecondsLeft: nil, routing: routing
            )
        }
        return health
    }

    @Test("the active region is the one ready writer with the highest epoch")
    func selection() {
        #expect(RegionSelection.active([health(Self.east, .writer), health(Self.west, .reader)])?.region == Self.east)
        #expect(RegionSelection.active([health(Self.east, .reader), health(Self.west, .writer)])?.region == Self.west)
        #expect(RegionSelection.active([health(Self.east, nil), health(Self.west, .reader)]) == nil)
        #expect(RegionSelection.active([health(Self.east, .fenced), health(Self.west, .reader)]) == nil)
        // A stale writer (lower epoch) loses to the newer one.
        #expect(RegionSelection.active([health(Self.east, .writer, epoch: 1), health(Self.west, .writer, epoch: 2)])?.region == Self.west)
        // Two writers at one epoch break an invariant: route nowhere rather than fork the log.
        #expect(RegionSelection.active([health(Self.east, .writer, epoch: 3), health(Self.west, .writer, epoch: 3)]) == nil)
    }

    @Test("with routing records the newest one decides: its active region if it is the writer at its epoch, else nobody")
    func selectionByRecord() {
        let eastActive1 = RoutingRecord(epoch: 1, revision: 0, activeRegion: Self.east, state: .active)
        let failing = RoutingRecord(epoch: 1, revision: 1, activeRegion: Self.east, state: .failingOver)
        let westActive2 = RoutingRecord(epoch: 2, revision: 0, activeRegion: Self.west, state: .active)
        // The newest copy wins, whichever region holds it.
        #expect(RegionSelection.record([health(Self.east, .writer, routing: eastActive1), health(Self.west, .reader, routing: failing)]) == failing)
        #expect(RegionSelection.active([health(Self.east, .writer, routing: eastActive1), health(Self.west, .reader, routing: eastActive1)])?.region == Self.east)
        // A forced failover is switching: no region takes writes, even the old writer that still answers.
        #expect(RegionSelection.active([health(Self.east, .writer, routing: eastActive1), health(Self.west, .reader, routing: failing)]) == nil)
        // The old writer came back still believing it writes at epoch 1: the record names west at 2.
        let afterForced = [health(Self.east, .writer, epoch: 1, routing: eastActive1), health(Self.west, .writer, epoch: 2, routing: westActive2)]
        #expect(RegionSelection.active(afterForced)?.region == Self.west)
        // The named region is not (yet) the writer at the record's epoch: nobody, rather than a guess.
        #expect(RegionSelection.active([health(Self.east, .writer, epoch: 1, routing: westActive2), health(Self.west, .reader, epoch: 1)]) == nil)
        #expect(RegionSelection.active([health(Self.east, .fenced, routing: eastActive1), health(Self.west, .reader)]) == nil)
        // The record's region is down: nobody writes; a region that does not answer holds no record.
        #expect(RegionSelection.active([health(Self.east, nil), health(Self.west, .reader, routing: eastActive1)]) == nil)
    }

    @Test("reads go to the active region, else the named one if it answers, else the ready region furthest along")
    func readableSelection() {
        let failing = RoutingRecord(epoch: 1, revision: 1, activeRegion: Self.east, state: .failingOver)
        #expect(RegionSelection.readable([health(Self.east, .writer), health(Self.west, .reader)])?.region == Self.east)
        // Mid-failover the fenced writer still has the newest data.
        #expect(RegionSelection.readable([health(Self.east, .fenced, head: 9, routing: failing), health(Self.west, .reader, head: 9)])?.region == Self.east)
        // The writer is gone: the reader furthest along.
        #expect(RegionSelection.readable([health(Self.east, nil), health(Self.west, .reader, head: 7, routing: failing)])?.region == Self.west)
        #expect(RegionSelection.readable([health(Self.east, nil), health(Self.west, nil)]) == nil)
    }

    @Test("which answers send a request on to another region: not-writer always, storage-unavailable only with an Idempotency-Key")
    func answersThatGoElsewhere() throws {
        func answer(_ status: HTTPResponse.Status, _ slug: String) throws -> Proxy.Answer {
            let problem = Problem(slug: slug, title: slug, status: status, detail: "")
            return Proxy.Answer(status: status, headers: [:], body: ByteBuffer(data: try RemitJSON.encoder().encode(problem)))
        }
        #expect(try answer(.conflict, "not-writer").isNotWriter)
        #expect(try !answer(.conflict, "version-conflict").isNotWriter)
        #expect(try answer(.serviceUnavailable, "storage-unavailable").isStorageUnavailable)
        #expect(try !answer(.serviceUnavailable, "overloaded").isStorageUnavailable)
        var keyed = HTTPHeaders()
        keyed.add(name: "Idempotency-Key", value: "k1")
        #expect(Proxy.Prepared(method: .POST, pathAndQuery: "/api/v1/remittances", headers: keyed, body: nil).hasIdempotencyKey)
        #expect(!Proxy.Prepared(method: .POST, pathAndQuery: "/api/v1/remittances", headers: HTTPHeaders(), body: nil).hasIdempotencyKey)
    }

    @Test("request ids: a sane one is kept, anything else is replaced")
    func requestIDs() {
        #expect(RequestID.sanitize("abc-123") == "abc-123")
        #expect(RequestID.sanitize(nil).count == 36)
        #expect(RequestID.sanitize("has space").count == 36)
        #expect(RequestID.sanitize(String(repeating: "x", count: 129)).count == 36)
    }

    @Test("a client over its rate gets 429 with Retry-After, health checks never do (the refill is TokenBucketTests')")
    func rateLimit() async throws {
        let configuration = RouterConfiguration(regions: [.init(name: Self.east, url: "http://127.0.0.1:1")])
        let checker = HealthChecker(configuration: configuration, client: HTTPClient.shared, logger: Logger(label: "test"))
        // One token an hour: however long a busy machine stalls, the bucket does not refill during the test.
        let limiter = KeyedRateLimiter(requestsPerSecond: 1.0 / 3_600, burst: 2)
        let metrics = MetricsRegistry()
        let router = Application(router: buildRouterRouter(checker: checker, client: HTTPClient.shared, limiter: limiter, metrics: metrics))
        try await router.test(.router) { client in
            for _ in 0..<2 {
                let response = try await client.execute(uri: "/router/regions", method: .get)
                #expect(response.status == .ok)
            }
            let limited = try await client.execute(uri: "/router/regions", method: .get)
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try RemitJSON.decoder().decode(Problem.self, from: Data(buffer: limited.body)).type == "urn:remit:problem:rate-limited")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(Scrape(text: String(decoding: await metrics.scrape(), as: UTF8.self)).value("remit_router_rate_limited_total") == 1)
        }
    }

    @Test("with no ready writer anywhere, a request is held for a bounded time, then gets 503")
    func noWriter() async throws {
        let configuration = RouterConfiguration(regions: [.init(name: Self.east, url: "http://127.0.0.1:1")])
        let checker = HealthChecker(configuration: configuration, client: HTTPClient.shared, logger: Logger(label: "test"))
        let router = Application(router: buildRouterRouter(checker: checker, client: HTTPClient.shared, limiter: KeyedRateLimiter(requestsPerSecond: 1_000, burst: 1_000)))
        try await router.test(.router) { client in
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/api/v1/remittances", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(try RemitJSON.decoder().decode(Problem.self, from: Data(buffer: response.body)).type == "urn:remit:problem:no-active-region")
            #expect(ContinuousClock.now - started >= .milliseconds(Limits.routerHoldMillisecondsMax), "held before giving up")
        }
    }

    @Test("while the routing record says a forced failover is switching, a write is held past the usual bound and released to the new writer")
    func heldThroughForcedFailover() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { eastPool, _ in
            try await withFreshPool(west: true) { pool, _ in
                try await Migrator(pool: eastPool).apply(migrations)
                try await Migrator(pool: pool).apply(migrations)
                _ = try await RegionStore(pool: eastPool).claim(Self.east, initialRole: .writer)
                try await withRunningNode(pool: pool, region: "west", role: .reader, replication: ReplicationConfiguration()) { westURL in
                    // West, a reader with east's epoch 1, holds the record a forced failover's
                    // stop-writes step wrote; east is gone.
                    let segment = try #require(try await SegmentStore(pool: eastPool).cut(after: 0))
                    _ = try await SegmentStore(pool: pool).apply(segment.bytes)
                    let control = RegionControl(pool: pool)
                    try await control.route(RoutingRecord(epoch: 1, revision: 1, activeRegion: Self.east, state: .failingOver))
                    let configuration = RouterConfiguration(regions: [
                        .init(name: Self.east, url: "http://127.0.0.1:1"), .init(name: Self.west, url: westURL),
                    ])
                    let checker = HealthChecker(configuration: configuration, client: HTTPClient.shared, logger: Logger(label: "test.router"))
                    let router = Application(router: buildRouterRouter(checker: checker, client: HTTPClient.shared, limiter: KeyedRateLimiter(requestsPerSecond: 1_000, burst: 1_000)))
                    try await router.test(.router) { client in
                        await checker.checkAll()
                        #expect(RegionSelection.record(checker.regions)?.state == .failingOver && checker.active == nil)
                        let started = ContinuousClock.now
                        // The failover promotes west once the old writer's lease is certainly over:
                        // later than the usual hold bound.
                        let promotion = Task {
                            try await Task.sleep(for: .milliseconds(Limits.routerHoldMillisecondsMax + 1_000))
                            return try await control.promoteForced(Self.west, leaseMilliseconds: 60_000)
                        }
                        let response = try await client.execute(
                            uri: "/api/v1/remittances", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: createBody)
                        )
                        #expect(try await promotion.value.epoch == 2)
                        // It reached west, the writer now (which wants a token), instead of a 503 from the router.
                        #expect(response.status == .unauthorized)
                        #expect(ContinuousClock.now - started > .milliseconds(Limits.routerHoldMillisecondsMax), "held through the switch")
                    }
                }
            }
        }
    }

    @Test("a write the writer refuses because its lease lapsed (the router was stalled) is held and sent again once the lease is renewed")
    func heldThroughLapsedLease() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            _ = try await IdentityStore(pool: pool, region: "east").bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: TestNode.passwordHash)
            try await withRunningNode(pool: pool, region: "east", role: .writer, replication: ReplicationConfiguration()) { eastURL in
                let token = try await ReplicationTests.signIn(eastURL)
                let control = RegionControl(pool: pool)
                #expect(try await control.renewLease(epoch: 1, milliseconds: 1))
                try await Task.sleep(for: .milliseconds(20))
                let configuration = RouterConfiguration(regions: [.init(name: Self.east, url: eastURL)])
                let checker = HealthChecker(configuration: configuration, client: HTTPClient.shared, logger: Logger(label: "test.router"))
                let router = Application(router: buildRouterRouter(checker: checker, client: HTTPClient.shared, limiter: KeyedRateLimiter(requestsPerSecond: 1_000, burst: 1_000)))
                try await router.test(.router) { client in
                    await checker.checkAll()
                    #expect(checker.active?.region == Self.east, "east is still the writer; only its lease lapsed")
                    // A router renews it a moment later (here the test, as a router back from a stall would).
                    let renewal = Task {
                        try await Task.sleep(for: .milliseconds(1_000))
                        return try await control.renewLease(epoch: 1, milliseconds: 60_000)
                    }
                    let response = try await client.execute(
                        uri: "/api/v1/remittances", method: .post,
                        headers: [.contentType: "application/json", .authorization: "Bearer \(token)", HTTPField.Name("Idempotency-Key")!: "lapsed-1"],
                        body: ByteBuffer(string: createBody)
                    )
                    #expect(try await renewal.value)
                    #expect(response.status == .created, "held, then sent again to east once its lease held: not the 409 east first answered")
                    #expect(try await pool.withConnection {
                        try $0.query("SELECT count(*) FROM events WHERE idempotency_key = 'lapsed-1'")[0].decode(0, as: Int64.self)
                    } == 1)
                }
            }
        }
    }

    @Test("the limiter remembers a bounded number of addresses")
    func limiterBound() {
        let limiter = KeyedRateLimiter(requestsPerSecond: 1, burst: 1, keysMax: 3)
        for address in ["a", "b", "c"] { #expect(limiter.take(address, nowNanoseconds: 0) == .allowed) }
        #expect(limiter.take("a", nowNanoseconds: 0) == .limited(retryAfterSeconds: 1))
        // A fourth address while all three are busy: the table is cleared, not grown.
        #expect(limiter.take("d", nowNanoseconds: 0) == .allowed)
        #expect(limiter.take("a", nowNanoseconds: 0) == .allowed, "forgotten, so a fresh bucket")
    }

    @Test("proxies /api to the ready writer over real HTTP, and says 503 when there is none")
    func proxiesToActiveRegion() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            let node = RegionNode(region: Self.east, initialRole: .writer, pool: pool, migrations: migrations)
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let nodeApp = try buildNodeApplication(
                node: node, configuration: .init(host: "127.0.0.1", port: 0), logger: Logger(label: "test.node"),
                onServerRunning: { port in portContinuation.yield(port) }
            )
            let group = ServiceGroup(services: [nodeApp], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var ports = portStream.makeAsyncIterator()
                let port = try #require(await ports.next())

                let client = HTTPClient.shared
                let configuration = RouterConfiguration(regions: [
                    .init(name: Self.east, url: "http://127.0.0.1:\(port)"),
                    .init(name: Self.west, url: "http://127.0.0.1:1"),
                ])
                let checker = HealthChecker(configuration: configuration, client: client, logger: Logger(label: "test.router"))
                let router = Application(router: buildRouterRouter(checker: checker, client: client, limiter: KeyedRateLimiter(requestsPerSecond: 1_000, burst: 1_000)))
                try await router.test(.router) { routerClient in
                    // Before any health check no region is known to be ready: the request is held
                    // while the router checks, then reaches east (which wants a token).
                    #expect(checker.active == nil)
                    try await routerClient.execute(uri: "/api/v1/remittances", method: .get) { response in
                        #expect(response.status == .unauthorized)
                    }
                    await checker.checkAll()
                    #expect(checker.active?.region == Self.east)
                    #expect(checker.regions.first { $0.region == Self.west }?.readiness == nil)
                    // Sign in through the router; the token then works through it too.
                    _ = try await IdentityStore(pool: pool, region: "east").addUser(
                        name: UserName(rawValue: "carol")!, roles: [.clerk], passwordSeal: TestNode.passwordHash,
                        by: AuditContext(actor: "test", source: "cli")
                    )
                    let signIn = try await routerClient.execute(
                        uri: "/api/v1/auth/token", method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(string: #"{"username":"carol","password":"\#(TestNode.password)"}"#)
                    )
                    #expect(signIn.status == .ok)
                    let token = try RemitJSON.decoder().decode(TokenBody.self, from: Data(buffer: signIn.body)).accessToken
                    let bearer = "Bearer \(token)"
                    try await routerClient.execute(uri: "/api/v1/remittances?limit=5", method: .get) { response in
                        #expect(response.status == .unauthorized)
                    }
                    try await routerClient.execute(uri: "/api/v1/remittances?limit=5", method: .get, headers: [.authorization: bearer]) { response in
                        #expect(response.status == .ok)
                        #expect(String(buffer: response.body) == #"{"items":[]}"#)
                        #expect(response.headers[.cacheControl] == "no-store")
                    }
                    // A create through the router reaches the node with the client's request id,
                    // which the event records.
                    let created = try await routerClient.execute(
                        uri: "/api/v1/remittances", method: .post,
                        headers: [.contentType: "application/json", RequestID.header: "trace-42", .authorization: bearer],
                        body: ByteBuffer(string: createBody)
                    )
                    #expect(created.status == .created)
                    let events = try await LedgerReader(pool: pool).events(after: 0, limit: 10)
                    let metadata = try JSONDecoder().decode(EventMetadata.self, from: Data(try #require(events.last).metadata))
                    #expect(metadata.requestID == "trace-42")
                    #expect(metadata.actor == "carol")
                    // The node's own problem+json comes back through the router unchanged.
                    try await routerClient.execute(uri: "/api/v1/nothing", method: .get) { response in
                        #expect(response.status == .notFound)
                        #expect(response.headers[.contentType] == Problem.contentType)
                    }
                    try await routerClient.execute(uri: "/readyz", method: .get) { response in
                        #expect(response.status == .ok)
                        let readiness = try RemitJSON.decoder().decode(RouterReadiness.self, from: Data(buffer: response.body))
                        #expect(readiness.active == Self.east)
                    }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
