import AsyncHTTPClient
import Foundation
import Logging
import RemitAuth
import RemitCore
import RemitPostgres
import RemitStorage

/// `remit up`: both regions' clusters, a node per region and the router, started in that order
/// and stopped in the reverse order.
public final class EmbeddedStack: Sendable {
    public let configuration: StackConfiguration
    private let logger: Logger
    private let clusters: [LocalCluster]

    public init(configuration: StackConfiguration, logger: Logger) throws(StackError) {
        self.configuration = configuration
        self.logger = logger
        let installation = try PostgresInstallation.locate()
        let account = try ServerAccount.resolve()
        self.clusters = configuration.regions.map {
            LocalCluster(
                region: $0.name, dataDirectory: configuration.dataDirectory, port: $0.postgresPort,
                installation: installation, account: account
            )
        }
    }

    /// Starts the clusters and applies migrations; on failure stops whatever it started.
    public func startClusters() async throws {
        try createDirectory(configuration.dataDirectory, mode: 0o755)
        let migrations = try Migration.load(directory: configuration.migrationsDirectory)
        do {
            for cluster in clusters {
                try cluster.initializeIfNeeded(cacheMegabytes: LocalCluster.stackCacheMegabytes)
                try cluster.start()
                try cluster.createDatabaseIfNeeded()
                let pool = PostgresPool(url: try cluster.databaseURL(), connectionsMax: 1, applicationName: "remit up")
                do {
                    let applied = try await Migrator(pool: pool).apply(migrations)
                    logger.info("database ready", metadata: ["region": "\(cluster.region)", "migrations applied": "\(applied)"])
                    await pool.close()
                } catch {
                    await pool.close()
                    throw error
                }
            }
        } catch {
            stopClusters()
            throw error
        }
    }

    /// The first admin's password file: written once, when the admin is made.
    public var adminPasswordFile: String { Self.adminPasswordFile(dataDirectory: configuration.dataDirectory) }

    public static func adminPasswordFile(dataDirectory: String) -> String { dataDirectory + "/admin-password" }

    /// Makes the `admin` user (every role) in the first writer's database if it has no users
    /// yet, with a random password, which is written to `admin-password` (mode 0600) and
    /// returned, once. The writer's node puts the user in the log; the other regions get it
    /// by replication. Later starts change nothing and return nil.
    public func bootstrapAdmin() async throws -> String? {
        let password = Passwords.generate()
        var made = false
        for cluster in clusters where cluster.region == configuration.initialWriter {
            let pool = PostgresPool(url: try cluster.databaseURL(), connectionsMax: 1, applicationName: "remit up")
            do {
                made = try await IdentityStore(pool: pool, region: cluster.region.rawValue)
                    .bootstrapAdmin(name: UserName(rawValue: "admin")!, passwordSeal: Passwords.hash(password))
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
        }
        guard made else { return nil }
        try? FileManager.default.removeItem(atPath: adminPasswordFile)
        try write(password + "\n", to: adminPasswordFile, mode: 0o600)
        return password
    }

    /// The replication key shared by the regions (64 hex digits, mode 0600), made on first start.
    public var replicationKeyFile: String { Self.replicationKeyFile(dataDirectory: configuration.dataDirectory) }

    public static func replicationKeyFile(dataDirectory: String) -> String { dataDirectory + "/replication-key" }

    func replicationKey() throws(StackError) -> String {
        try secret(at: replicationKeyFile)
    }

    /// The bearer token a Prometheus scrape of the nodes' and the router's `/metrics` presents
    /// (64 hex digits, mode 0600), made on first start.
    public static func metricsTokenFile(dataDirectory: String) -> String { dataDirectory + "/metrics-token" }

    /// 32 random bytes as hex in a file only its owner reads: made on first start, kept after.
    private func secret(at path: String) throws(StackError) -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hex
        try write(hex + "\n", to: path, mode: 0o600)
        return hex
    }

    /// glibc gives each thread that allocates its own arena (up to 8 per core), and memory a
    /// thread freed stays with its arena: a node's NIO and pool threads each kept their own
    /// share of a segment's or a load's peak. Two arenas: resident memory under the 64-client
    /// load went from 145 to 70 MB in one run of `remit bench replication`.
    /// An operator's own `MALLOC_ARENA_MAX` wins.
    static var mallocEnvironment: [String: String] {
        ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil ? ["MALLOC_ARENA_MAX": "2"] : [:]
    }

    /// Starts a node per region and the router, and waits until each answers `/readyz`.
    public func startProcesses(parentProcessID: Int32) async throws -> [ChildProcess] {
        try createDirectory(configuration.logDirectory, mode: 0o755)
        var children: [ChildProcess] = []
        let replicationKey = try replicationKey()
        let metricsToken = try secret(at: Self.metricsTokenFile(dataDirectory: configuration.dataDirectory))
        // Each node can run a failover for an operator (POST /api/v1/admin/failover).
        let failoverDatabases = try zip(configuration.regions, clusters).map { "\($0.name)=\(try $1.databaseURL())" }.joined(separator: " ")
        do {
            for (region, cluster) in zip(configuration.regions, clusters) {
                let others = configuration.regions.filter { $0.name != region.name }
                let role: RegionRole = region.name == configuration.initialWriter ? .writer : .reader
                var arguments = [
                    "serve", "--region", region.name.rawValue, "--port", String(region.nodePort),
                    "--initial-role", role.rawValue, "--migrations-dir", configuration.migrationsDirectory,
                    "--parent-pid", String(parentProcessID), "--log-format", configuration.logFormat,
                    "--lease-milliseconds", String(configuration.leaseMilliseconds),
                    "--checkpoint-milliseconds", String(configuration.checkpointMilliseconds),
                ] + configuration.routerURLs.flatMap { ["--router-url", $0] } + (configuration.accessLog ? ["--access-log"] : [])
                for other in others {
                    // Each region accepts the others' tokens, may pull their logs, and shows them.
                    arguments += ["--peer-jwks", configuration.nodeURL(other) + "/.well-known/jwks.json", "--replication-region", other.name.rawValue]
                    arguments += ["--peer", "\(other.name)=\(configuration.nodeURL(other))"]
                }
                if let source = others.first { arguments += ["--replicate-from", configuration.nodeURL(source)] }
                children.append(try ChildProcess(
                    name: "node \(region.name)",
                    executable: configuration.executable,
                    arguments: arguments,
                    // The URLs carry passwords and the key is a secret: environment, not argv (argv is visible in ps).
                    environment: [
                        "REMIT_DATABASE_URL": try cluster.databaseURL(), "REMIT_REPLICATION_KEY": replicationKey,
                        "REMIT_FAILOVER_DATABASES": failoverDatabases, "REMIT_METRICS_TOKEN": metricsToken,
                    ].merging(Self.mallocEnvironment) { ours, _ in ours },
                    logFile: configuration.logDirectory + "/node-\(region.name).log"
                ))
            }
            // Two routers by default: either serves every client and renews the writer's lease.
            for (index, port) in configuration.routerPorts.enumerated() {
                children.append(try ChildProcess(
                    name: index == 0 ? "router" : "router \(index + 1)",
                    executable: configuration.executable,
                    arguments: routerArguments(port: port, parentProcessID: parentProcessID),
                    // The router signs lease renewals with the deployment key.
                    environment: ["REMIT_REPLICATION_KEY": replicationKey, "REMIT_METRICS_TOKEN": metricsToken].merging(Self.mallocEnvironment) { ours, _ in ours },
                    logFile: configuration.logDirectory + (index == 0 ? "/router.log" : "/router-\(index + 1).log")
                ))
            }
            for region in configuration.regions {
                try await waitUntilReady(configuration.nodeURL(region) + "/readyz", what: "node \(region.name)", children: children)
            }
            for url in configuration.routerURLs { try await waitUntilReady(url + "/readyz", what: "router \(url)", children: children) }
        } catch {
            for child in children.reversed() { await child.stop() }
            throw error
        }
        return children
    }

    private func routerArguments(port: Int, parentProcessID: Int32) -> [String] {
        var arguments = [
            "router", "--port", String(port), "--parent-pid", String(parentProcessID), "--log-format", configuration.logFormat,
            "--lease-milliseconds", String(configuration.leaseMilliseconds),
        ]
        if configuration.accessLog { arguments.append("--access-log") }
        if let seconds = configuration.autoFailoverAfterSeconds {
            arguments += ["--auto-failover-after-seconds", String(seconds), "--auto-failover-lag-events-max", String(configuration.autoFailoverLagEventsMax)]
        }
        for region in configuration.regions { arguments += ["--region", "\(region.name)=\(configuration.nodeURL(region))"] }
        return arguments
    }

    /// Stops both clusters, logging (not throwing) what fails, so that one failure does not
    /// leave the other cluster running.
    public func stopClusters() {
        for cluster in clusters.reversed() {
            do {
                try cluster.stop()
            } catch {
                logger.error("could not stop PostgreSQL", metadata: ["region": "\(cluster.region)", "error": "\(error)"])
            }
        }
    }

    /// What keeps the clusters and `children` running once started.
    public func supervisor(children: [ChildProcess]) -> Supervisor {
        Supervisor(clusters: clusters, children: children, logger: logger)
    }

    public func cluster(_ region: RegionName) -> LocalCluster? {
        clusters.first { $0.region == region }
    }

    private func waitUntilReady(_ url: String, what: String, children: [ChildProcess]) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Limits.startupTimeoutMilliseconds)
        var lastProblem = "no answer yet"
        while ContinuousClock.now < deadline {
            if let dead = children.first(where: { !$0.isRunning }) {
                throw StackError("\(dead.name) exited with status \(dead.exited ?? -1); see \(dead.logFile)")
            }
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
                let body = try await response.body.collect(upTo: 64 * 1024)
                if response.status == .ok { return }
                lastProblem = "\(response.status.code) \(String(buffer: body))"
            } catch {
                lastProblem = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw StackError("\(what) was not ready within \(Limits.startupTimeoutMilliseconds) ms: \(lastProblem)")
    }
}
