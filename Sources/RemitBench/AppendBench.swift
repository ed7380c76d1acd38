import AsyncHTTPClient
import Foundation
import NIOCore
import RemitCore
import RemitImport
import RemitPostgres
import RemitStorage
import RemitWire

/// `remit bench append`: durable creates per second through a region's HTTP API (what the log
/// gained, whatever the load generator counted), against PostgreSQL's single-row INSERT ceiling
/// on the same database in the same run; and what checking tokens costs, measured on nodes in
/// this process with access checks off and on.
public struct AppendBench: Sendable {
    public var url: String
    public var clients: Int
    public var seconds: Int
    /// The writer's database, for the baseline and the batch sizes.
    public var databaseURL: String
    /// The writer's region, for the in-process nodes.
    public var region: RegionName
    /// wrk or swift; nil: wrk when installed.
    public var generator: String?
    public var username: String
    public var password: String
    /// The deployment key: the in-process nodes open the users' sealed passwords with it.
    public var key: ReplicationKey?

    public init(
        url: String, clients: Int, seconds: Int, databaseURL: String, region: RegionName, generator: String?, username: String, password: String,
        key: ReplicationKey?
    ) {
        self.key = key
        self.url = url
        self.clients = clients
        self.seconds = seconds
        self.databaseURL = databaseURL
        self.region = region
        self.generator = generator
        self.username = username
        self.password = password
    }

    public func run() async throws {
        let database = databaseURL
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients))
        )
        let pool = PostgresPool(url: database, connectionsMax: min(clients, 64), applicationName: "remit bench")
        do {
            let useWrk = (generator ?? (WrkLoad.executable == nil ? "swift" : "wrk")) == "wrk"
            let signIn: @Sendable (String) async throws -> String = { base in try await APISignIn.token(client: client, url: base, username: username, password: password) }
            var api = try await measure(pool: pool, client: client, url: url, token: try await signIn(url), useWrk: useWrk)
            let batch = try await averageBatch(pool, after: api.startPosition, through: api.endPosition)
            // The node's own ceilings, right after: refused creates (parsing and validation, a
            // 422) and a bare health check; issue 19 asks durable creates of ≥ 0.2× the latter.
            let refusedCeiling = useWrk
                ? try WrkLoad(url: url, clients: clients, seconds: seconds, script: WrkLoad.refusedCreateScript(token: try await signIn(url))).run().perSecond
                : nil
            let healthCeiling = useWrk ? try WrkLoad(url: url, clients: clients, seconds: seconds, script: WrkLoad.healthScript).run().perSecond : nil
            // What checking tokens costs: nodes in this process on the same database, with
            // access checks off and on, measured alternately (off, on, on, off) so that the
            // log growing during the run favours neither.
            var unchecked: [AppendLoad.Result] = [], checked: [AppendLoad.Result] = []
            for accessChecks in [false, true, true, false] {
                let result = try await BenchNode.with(region: region, databaseURL: database, key: key, accessChecks: accessChecks) { base in
                    try await measure(pool: pool, client: client, url: base, token: accessChecks ? try await signIn(base) : nil, useWrk: useWrk).result
                }
                if accessChecks { checked.append(result) } else { unchecked.append(result) }
            }
            // What keeping figures costs (the request metrics, the append observer): the same,
            // with access checks on, metrics off and on, alternately.
            var bare: [AppendLoad.Result] = [], measured: [AppendLoad.Result] = []
            for metrics in [false, true, true, false] {
                let result = try await BenchNode.with(region: region, databaseURL: database, key: key, accessChecks: true, metrics: metrics) { base in
                    try await measure(pool: pool, client: client, url: base, token: try await signIn(base), useWrk: useWrk).result
                }
                if metrics { measured.append(result) } else { bare.append(result) }
            }
            let inserts = InsertBaseline(pool: pool, databaseURL: database, clients: min(clients, 64), seconds: seconds)
            let swiftBaseline = try await inserts.run()
            let pgbench = try await inserts.runPgbench(expectedPerSecond: swiftBaseline)
            api.result.generator = useWrk ? "wrk" : "swift"
            report(
                api: api.result, batch: batch, baseline: (pgbench: pgbench, swift: swiftBaseline), refusedCeiling: refusedCeiling,
                healthCeiling: healthCeiling, unchecked: unchecked, checked: checked
            )
            let bareRate = bare.map(\.perSecond).reduce(0, +) / Double(bare.count)
            let measuredRate = measured.map(\.perSecond).reduce(0, +) / Double(measured.count)
            let each = { (results: [AppendLoad.Result]) in results.map { String(format: "%.0f", $0.perSecond) }.joined(separator: " and ") }
            print(String(
                format: "metrics: %.0f creates/s with metrics (%@) vs %.0f without (%@), in-process nodes on the same database: %.2fx",
                measuredRate, each(measured), bareRate, each(bare), bareRate > 0 ? measuredRate / bareRate : 0
            ))
        } catch {
            await pool.close()
            try? await client.shutdown()
            throw error
        }
        await pool.close()
        try await client.shutdown()
    }

    /// One measurement of creates against `url`; durable creates are what the log gained,
    /// whatever the load generator counted.
    private func measure(
        pool: PostgresPool, client: HTTPClient, url: String, token: String?, useWrk: Bool
    ) async throws -> (result: AppendLoad.Result, startPosition: Int64, endPosition: Int64) {
        let startPosition = try await RegionStore(pool: pool).headPosition()
        let started = ContinuousClock.now
        var result = useWrk
            ? try WrkLoad(url: url, clients: clients, seconds: seconds, script: WrkLoad.createScript(token: token)).run()
            : try await AppendLoad(client: client, url: url, token: token, clients: clients, seconds: seconds).run()
        let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
        let endPosition = try await RegionStore(pool: pool).headPosition()
        result.perSecond = Double(endPosition - startPosition) / elapsed
        result.generator = useWrk ? "wrk" : "swift"
        return (result, startPosition, endPosition)
    }

    /// Events per commit: every event of one append transaction carries the same recorded-at
    /// time (the database clock is read once per batch).
    private func averageBatch(_ pool: PostgresPool, after: Int64, through: Int64) async throws -> Double {
        let (events, commits) = try await LedgerReader(pool: pool).eventsAndCommits(after: after, through: through)
        return commits == 0 ? 0 : Double(events) / Double(commits)
    }

    private func report(
        api: AppendLoad.Result, batch: Double, baseline inserts: (pgbench: Double?, swift: Double), refusedCeiling: Double?,
        healthCeiling: Double?, unchecked: [AppendLoad.Result], checked: [AppendLoad.Result]
    ) {
        // PostgreSQL's ceiling is pgbench's when it is installed: a C client, prepared statements.
        let baseline = inserts.pgbench ?? inserts.swift
        let ratio = baseline > 0 ? api.perSecond / baseline : 0
        let uncheckedPerSecond = unchecked.map(\.perSecond).reduce(0, +) / Double(unchecked.count)
        let checkedPerSecond = checked.map(\.perSecond).reduce(0, +) / Double(checked.count)
        let authRatio = uncheckedPerSecond > 0 ? checkedPerSecond / uncheckedPerSecond : 0
        let each = { (results: [AppendLoad.Result]) in results.map { String(format: "%.0f", $0.perSecond) }.joined(separator: " and ") }
        print(String(
            format: "append (authenticated): %.0f durable creates/s (%d clients, %d s, %@), p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.1f events/commit, %d errors; PostgreSQL single-row INSERT ceiling %.0f tx/s (%@); ratio %.2fx",
            api.perSecond, clients, seconds, api.generator, api.p50Milliseconds, api.p99Milliseconds, api.maxMilliseconds, batch, api.errors, baseline,
            inserts.pgbench == nil ? "this process's libpq client; pgbench is not installed" : String(format: "pgbench -M prepared; this process's libpq client: %.0f", inserts.swift),
            ratio
        ) + (refusedCeiling.map { String(format: "; the node answers refused creates (422, no database) at %.0f req/s", $0) } ?? "")
            + (healthCeiling.map { String(format: " and GET /healthz at %.0f req/s: durable creates %.2fx of it", $0, $0 > 0 ? api.perSecond / $0 : 0) } ?? ""))
        print(String(
            format: "authentication: %.0f creates/s with token checks (%@) vs %.0f without (%@), in-process nodes on the same database: %.2fx",
            checkedPerSecond, each(checked), uncheckedPerSecond, each(unchecked), authRatio
        ))
        var json: [String: Any] = [
            "bench": "append", "clients": clients, "seconds": seconds, "generator": api.generator, "createsPerSecond": api.perSecond.rounded(),
            "p50Milliseconds": api.p50Milliseconds, "p99Milliseconds": api.p99Milliseconds, "maxMilliseconds": api.maxMilliseconds,
            "eventsPerCommit": (batch * 10).rounded() / 10, "errors": api.errors, "insertBaselinePerSecond": baseline.rounded(), "swiftInsertBaselinePerSecond": inserts.swift.rounded(),
            "ratio": (ratio * 100).rounded() / 100, "authenticated": true,
            "authCheckedPerSecond": checkedPerSecond.rounded(), "authUncheckedPerSecond": uncheckedPerSecond.rounded(),
            "authRatio": (authRatio * 100).rounded() / 100,
        ]
        if let refusedCeiling { json["refusedCreatesPerSecond"] = refusedCeiling.rounded() }
        if let healthCeiling {
            json["healthzPerSecond"] = healthCeiling.rounded()
            json["createsToHealthzRatio"] = healthCeiling > 0 ? (api.perSecond / healthCeiling * 100).rounded() / 100 : 0
        }
        let data = try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
