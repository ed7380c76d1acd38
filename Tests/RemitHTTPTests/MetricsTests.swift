import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RemitSegment
import RemitCore
import RemitFailover
import RemitPostgres
import RemitMetrics
import RemitReplication
import RemitRouter
import RemitStorage
import RemitTestSupport
import RemitWire
import Testing
@testable import RemitHTTP

/// One scrape, as Prometheus reads it: `name{labels} value` per series.
struct Scrape {
    let text: String

    /// The value of the series named `name` whose labels include every one of `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        series(name).first { series in labels.allSatisfy { series.labels[$0.key] == $0.value } }?.value
    }

    func series(_ name: String) -> [(labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let key = line[..<space]
            let brace = key.firstIndex(of: "{") ?? key.endIndex
            guard key[..<brace] == name else { return nil }
            var labels: [String: String] = [:]
            if brace < key.endIndex {
                for pair in key[key.index(after: brace)..<key.index(before: key.endIndex)].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
                }
            }
            return (labels, value)
        }
    }

    /// Every family's name, from its `# TYPE` line.
    var families: Set<String> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
    }
}

let metricsToken = String(repeating: "m", count: 40)

func scrape(_ client: any TestClientProtocol) async throws -> Scrape {
    let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(metricsToken)"])
    #expect(response.status == .ok)
    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
    return Scrape(text: String(buffer: response.body))
}

@Suite("metrics")
struct MetricsTests {
    func withMetricsNode(_ body: @escaping @Sendable (any TestClientProtocol, PostgresPool) async throws -> Void) async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            _ = try await RegionStore(pool: pool).claim(TestNode.east, initialRole: .writer)
            let node = try TestNode(pool: pool)
            try await node.addUsers()
            try await node.test(metricsToken: metricsToken) { client in try await body(client, pool) }
        }
    }

    @Test("after a known number of requests the counters equal it, by route template, method and status; every family is there")
    func counts() async throws {
        try await withMetricsNode { client, pool in
            for _ in 0..<7 { #expect(try await client.execute(uri: "/api/v1/remittances", method: .get).status == .ok) }
            for _ in 0..<3 { #expect(try await client.execute(uri: "/api/v1/remittances/\(UUID())", method: .get).status == .notFound) }
            let created = try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: createBody)
            )
            #expect(created.status == .created)
            let metrics = try await scrape(client)
            #expect(metrics.value("remit_http_requests_total", ["route": "/api/v1/remittances", "method": "GET", "status": "200"]) == 7)
            #expect(metrics.value("remit_http_requests_total", ["route": "/api/v1/remittances/{id}", "method": "GET", "status": "404"]) == 3)
            #expect(metrics.value("remit_http_requests_total", ["route": "/api/v1/remittances", "method": "POST", "status": "201"]) == 1)
            #expect(metrics.value("remit_http_request_duration_seconds_count", ["route": "/api/v1/remittances", "method": "GET", "status": "200"]) == 7)
            #expect(metrics.value("remit_append_events_total") == 1 && metrics.value("remit_append_commands_total") == 1)
            #expect(metrics.value("remit_append_batches_total", ["outcome": "committed"]) == 1)
            #expect(metrics.value("remit_append_batch_commands_count") == 1 && metrics.value("remit_append_commit_duration_seconds_count") == 1)
            #expect(metrics.value("remit_append_queue_depth") == 0)
            // Sign-ins by outcome.
            for password in ["wrong-password-1", TestNode.password] {
                let body = #"{"username":"tester","password":"\#(password)"}"#
                _ = try await client.execute(uri: "/api/v1/auth/token", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            }
            let signIns = try await scrape(client)
            #expect(signIns.value("remit_signin_total", ["outcome": "refused"]) == 1 && signIns.value("remit_signin_total", ["outcome": "signed-in"]) == 1)
            #expect(signIns.value("remit_signin_lockouts_total") == 0)
            // The node's own figures agree with its database.
            let head = try #require(try await RegionStore(pool: pool).current())
            #expect(metrics.value("remit_ledger_head_position") == Double(head.headPosition))
            #expect(metrics.value("remit_ledger_epoch") == Double(head.epoch))
            #expect(metrics.value("remit_region_role", ["role": "writer"]) == 1 && metrics.value("remit_region_role", ["role": "reader"]) == 0)
            #expect(metrics.value("remit_database_up") == 1)
            #expect(metrics.value("remit_db_pool_connections_max") == Double(pool.connectionsMax))
            #expect((metrics.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
            #expect((metrics.value("process_open_fds") ?? 0) > 0)
            let families: Set = [
                "remit_http_requests_total", "remit_http_request_duration_seconds", "remit_database_up", "remit_ledger_head_position",
                "remit_ledger_epoch", "remit_region_role", "remit_write_lease_remaining_seconds", "remit_projection_lag_events",
                "remit_replication_lag_events", "remit_replication_lag_seconds", "remit_replication_segments_applied_total",
                "remit_replication_events_applied_total", "remit_replication_applied_bytes_total", "remit_replication_segments_served_total",
                "remit_replication_served_bytes_total", "remit_replication_segments_rejected_total", "remit_db_pool_connections",
                "remit_db_pool_connections_in_use", "remit_db_pool_waiting", "remit_db_pool_connections_max",
                "remit_db_pool_acquire_waits_total", "remit_db_pool_acquire_wait_seconds_total", "remit_db_pool_acquire_timeouts_total",
                "remit_db_errors_total",
                "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_max_fds", "process_start_time_seconds",
            ]
            #expect(families.subtracting(metrics.families).isEmpty, "missing: \(families.subtracting(metrics.families).sorted())")
        }
    }

    @Test("/metrics refuses a scrape without the token (401, WWW-Authenticate) or with a wrong one, and is off without a token")
    func access() async throws {
        try await withMetricsNode { client, _ in
            let anonymous = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Basic eDp5"])
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(anonymous.headers[.contentType] == "application/problem+json")
            let wrong = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer " + String(repeating: "x", count: 40)])
            #expect(wrong.status == .unauthorized)
            // An operator's access token is not the scrape token.
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
        }
        try await withAPI { client, _ in
            let off = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(metricsToken)"])
            #expect(off.status == .notFound)
        }
    }

    @Test("10,000 distinct ids in paths add no series: routes are templates, unknown paths one label")
    func boundedLabels() async throws {
        try await withMetricsNode { client, _ in
            for index in 0..<10_000 {
                // Most to paths no route takes (no database work), some to the id route.
                let uri = index % 50 == 0 ? "/api/v1/remittances/\(UUID())" : "/api/v1/remittances/\(UUID())/nothing/\(index)"
                _ = try await client.execute(uri: uri, method: .get)
            }
            let metrics = try await scrape(client)
            let series = metrics.series("remit_http_requests_total")
            #expect(series.count <= 5, "\(series.map(\.labels))")
            #expect(metrics.value("remit_http_requests_total", ["route": "unmatched", "status": "404"]) == 9_800)
            #expect(metrics.value("remit_http_requests_total", ["route": "/api/v1/remittances/{id}", "status": "404"]) == 200)
        }
    }

    @Test("runbook executions and their steps, as the region's database records them; a second scrape adds nothing")
    func runbooks() async throws {
        try await withMetricsNode { client, pool in
            let store = RunbookStore(pool: pool)
            let id = UUID()
            try await store.begin(id: id, kind: "planned-failover", source: "east", target: "west", requestedBy: "tester", abandonAfterSeconds: 60)
            try await store.step(id, index: 0, name: "preflight", outcome: "succeeded", milliseconds: 12, detail: "")
            try await store.step(id, index: 1, name: "fence", outcome: "succeeded", milliseconds: 250, detail: "")
            try await store.finish(id, state: "succeeded", detail: "")
            _ = try await scrape(client)
            let metrics = try await scrape(client)
            #expect(metrics.value("remit_runbook_executions", ["kind": "planned-failover", "state": "succeeded"]) == 1)
            #expect(metrics.value("remit_runbook_steps_total", ["kind": "planned-failover", "step": "fence"]) == 1)
            #expect(metrics.value("remit_runbook_step_seconds_total", ["kind": "planned-failover", "step": "fence"]) == 0.25)
            #expect(metrics.value("remit_runbook_step_last_duration_seconds", ["kind": "planned-failover", "step": "preflight"]) == 0.012)
        }
    }

    @Test("the router counts its requests and shows each region's readiness, behind the same token")
    func router() async throws {
        let configuration = RouterConfiguration(regions: [.init(name: TestNode.east, url: "http://127.0.0.1:1")])
        let checker = HealthChecker(configuration: configuration, client: HTTPClient.shared, logger: Logger(label: "test"))
        let router = Application(router: buildRouterRouter(
            checker: checker, client: HTTPClient.shared, limiter: KeyedRateLimiter(requestsPerSecond: 1_000, burst: 1_000), metricsToken: metricsToken
        ))
        try await router.test(.router) { client in
            for _ in 0..<4 { #expect(try await client.execute(uri: "/router/regions", method: .get).status == .ok) }
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            let metrics = try await scrape(client)
            #expect(metrics.value("remit_http_requests_total", ["route": "/router/regions", "method": "GET", "status": "200"]) == 4)
            #expect(metrics.value("remit_router_region_ready", ["region": "east"]) == 0, "east was never reachable")
            #expect(metrics.value("remit_router_region_active", ["region": "east"]) == 0)
            #expect(metrics.value("remit_router_rate_limited_total") == 0)
            #expect(metrics.value("remit_router_alarm_firing", ["alarm": "writer-unreachable"]) == 0, "no sample taken yet")
            #expect(metrics.value("remit_router_failover_advised") == 0)
        }
    }

    @Test("a mirrored counter adds what a running total grew by, and starts again when the total does")
    func mirroredCounter() async throws {
        let registry = MetricsRegistry()
        let counter = MirroredCounter(registry.counter("test_total", "a test"))
        counter.follow(5)
        counter.follow(5)
        counter.follow(12)
        counter.follow(3)  // the mirrored process restarted its count
        let text = String(decoding: await registry.scrape(), as: UTF8.self)
        #expect(Scrape(text: text).value("test_total") == 15)
    }

    @Test("every reason a segment is refused for has its series")
    func rejectionKinds() {
        let rejections: [SegmentRejection] = [
            .truncated(""), .malformed(""), .unsupportedVersion(9), .tooLarge(""), .checksum, .corrupt(""), .headerMismatch(""),
            .gap(readerHead: 1, first: 3), .overlap(readerHead: 3, first: 2), .replay(readerHead: 3, last: 2),
            .staleEpoch(readerEpoch: 2, segmentEpoch: 1), .epochHistory(position: 1, reason: ""), .brokenChain(position: 1),
        ]
        #expect(Set(rejections.map(\.slug)) == Set(SegmentRejection.kinds))
    }
}
