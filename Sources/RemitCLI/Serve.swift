import ArgumentParser
import Foundation
import Logging
import RemitReplication
import RemitWire
import RemitCore
import RemitHTTP
import RemitPostgres
import RemitStorage
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one region node against the region's PostgreSQL."
    )

    @Option(help: "The region this node serves (lowercase letters, digits, '-').")
    var region: RegionName

    @Option(help: "The region's database (libpq URL). Default: $REMIT_DATABASE_URL, which keeps the password out of ps.")
    var databaseURL: String?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8081

    @Option(help: "Role the region takes when its database is claimed for the first time.")
    var initialRole: RegionRole = .reader

    @Option(help: "The largest amount one remittance may carry, in minor units.")
    var amountMax: Int64 = Limits.amountMinorUnitsMax

    @Option(help: "Folder of the migrations this node expects to be applied.")
    var migrationsDir: String?

    @OptionGroup var tls: TLSOptions

    @Option(help: "Issuer (iss) of a bank identity provider whose access tokens are accepted too.")
    var idpIssuer: String?

    @Option(help: "Audience (aud) the identity provider's tokens must name.")
    var idpAudience: String?

    @Option(help: "The identity provider's JWKS: a file path or an http(s) URL.")
    var idpJwks: String?

    @Option(help: "The claim that carries roles in the provider's tokens (a dotted path reaches into objects).")
    var idpRolesClaim = "roles"

    @Option(help: "Another region's /.well-known/jwks.json, whose tokens this node accepts; repeat per region.")
    var peerJwks: [String] = []

    @Option(help: "An origin whose browser scripts may call the API (CORS); repeat per origin. None: CORS off.")
    var corsOrigin: [String] = []

    @Option(help: "Requests per second one principal may make, sustained.")
    var principalRateLimit: Double = Limits.nodeRequestsPerSecondPerPrincipal

    @Option(help: "Requests one principal may make at once.")
    var principalRateBurst: Double = Limits.nodeBurstPerPrincipal

    @Option(help: "The other region's node to pull the log from while this region is a reader (needs $REMIT_REPLICATION_KEY).")
    var replicateFrom: String?

    @Option(help: "A region that may pull this node's log; repeat per region (needs $REMIT_REPLICATION_KEY).")
    var replicationRegion: [String] = []

    @Option(help: "Another region's node, as NAME=URL, shown by GET /api/v1/regions; repeat per region.")
    var peer: [String] = []

    @Option(help: "A router, which a forced failover run by this node asks whether it stopped renewing leases; repeat for each router.")
    var routerUrl: [String] = []

    @OptionGroup var lease: LeaseOption

    @OptionGroup var checkpoint: CheckpointOption

    @Option(help: .hidden)
    var parentPid: Int32?

    @Option(help: "Log lines as text or json (one object per line: time, level, message, region, node, request_id, …).")
    var logFormat: LogFormat = .text

    @Flag(help: "Log one line per request answered: method, route, status, milliseconds, request and trace ids.")
    var accessLog = false

    func validate() throws {
        guard amountMax > 0 else { throw ValidationError("--amount-max must be positive") }
        guard principalRateLimit > 0, principalRateBurst >= 1 else {
            throw ValidationError("--principal-rate-limit must be positive and --principal-rate-burst at least 1")
        }
        let idp = [idpIssuer, idpAudience, idpJwks]
        guard idp.allSatisfy({ $0 == nil }) || idp.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--idp-issuer, --idp-audience and --idp-jwks go together")
        }
        if let replicateFrom, !(replicateFrom.hasPrefix("http://") || replicateFrom.hasPrefix("https://")) {
            throw ValidationError("--replicate-from must be an http(s) URL")
        }
        for name in replicationRegion where RegionName(rawValue: name) == nil {
            throw ValidationError("--replication-region \(name) is not a region name")
        }
        _ = try control()
        for origin in corsOrigin where !(origin.hasPrefix("https://") || origin.hasPrefix("http://")) || origin.hasSuffix("/") {
            throw ValidationError("--cors-origin \(origin) is not an origin such as https://ops.bank.example")
        }
    }

    /// The replication key comes from the environment only: argv is visible to every user in ps.
    func replication() throws -> ReplicationConfiguration {
        guard replicateFrom != nil || !replicationRegion.isEmpty else { return ReplicationConfiguration() }
        guard let hex = ProcessInfo.processInfo.environment["REMIT_REPLICATION_KEY"], let key = ReplicationKey(hex: hex) else {
            throw ValidationError("replication needs REMIT_REPLICATION_KEY: 64 hex digits (remit up writes one to <data-dir>/replication-key)")
        }
        return ReplicationConfiguration(key: key, pullingRegions: Set(replicationRegion), source: replicateFrom)
    }

    /// Peers from the options; every region's database, for failovers run through the API, from
    /// `REMIT_FAILOVER_DATABASES` ("NAME=URL NAME=URL"), since the URLs carry passwords.
    func control() throws -> ControlConfiguration {
        var control = ControlConfiguration(routerURLs: routerUrl)
        control.leaseMilliseconds = lease.leaseMilliseconds
        for text in peer {
            let (name, url) = try regionAndURL(text, option: "--peer")
            control.peers[name] = url
        }
        for text in (ProcessInfo.processInfo.environment["REMIT_FAILOVER_DATABASES"] ?? "").split(separator: " ") {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let name = RegionName(rawValue: parts[0]), parts[1].hasPrefix("postgres") else {
                throw ValidationError("REMIT_FAILOVER_DATABASES holds an entry that is not NAME=postgresql://…")
            }
            control.failoverDatabaseURLs[name] = parts[1]
        }
        guard control.failoverDatabaseURLs.isEmpty || control.failoverDatabaseURLs[region] != nil else {
            throw ValidationError("REMIT_FAILOVER_DATABASES must name this region's database too")
        }
        return control
    }

    var auth: AuthConfiguration {
        var auth = AuthConfiguration()
        if let idpIssuer, let idpAudience, let idpJwks {
            auth.externalProviders = [ExternalProvider(issuer: idpIssuer, audience: idpAudience, rolesClaim: idpRolesClaim, jwks: idpJwks)]
        }
        auth.peerJWKS = peerJwks
        auth.requestsPerSecondPerPrincipal = principalRateLimit
        auth.burstPerPrincipal = principalRateBurst
        auth.corsAllowedOrigins = corsOrigin
        auth.checkpointEveryMilliseconds = checkpoint.checkpointMilliseconds
        return auth
    }

    func run() async throws {
        logFormat.bootstrap()
        var logger = Logger(label: "remit.node.\(region)")
        logger[metadataKey: "region"] = "\(region)"
        logger[metadataKey: "node"] = "\(host):\(port)"
        let url = try resolveDatabaseURL(databaseURL)
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate(explicit: migrationsDir))
        let pool = PostgresPool(url: url, applicationName: "remit serve \(region)")
        let node = RegionNode(region: region, initialRole: initialRole, pool: pool, migrations: migrations)
        var configuration = NodeConfiguration(host: host, port: port, amountMax: amountMax, auth: auth, tls: tls.tls, replication: try replication())
        configuration.control = try control()
        configuration.metricsToken = try MetricsToken.fromEnvironment()
        configuration.accessLog = accessLog
        let app = try buildNodeApplication(node: node, configuration: configuration, logger: logger)
        logger.info("serving", metadata: ["region": "\(region)", "address": "\(host):\(port)"])
        do {
            try await ServiceGroup.remit(services: [app], parentProcessID: parentPid, logger: logger).run()
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// NAME=http(s)://HOST:PORT, as `--peer` and the router's `--region` take it (no trailing slash).
func regionAndURL(_ text: String, option: String) throws -> (RegionName, String) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, let name = RegionName(rawValue: parts[0]), parts[1].hasPrefix("http://") || parts[1].hasPrefix("https://") else {
        throw ValidationError("\(option) \(text) is not NAME=http(s)://HOST:PORT")
    }
    return (name, parts[1].hasSuffix("/") ? String(parts[1].dropLast()) : parts[1])
}

/// The database URL from the option or, failing that, from `REMIT_DATABASE_URL`.
func resolveDatabaseURL(_ option: String?) throws -> String {
    if let option, !option.isEmpty { return option }
    if let fromEnvironment = ProcessInfo.processInfo.environment["REMIT_DATABASE_URL"], !fromEnvironment.isEmpty {
        return fromEnvironment
    }
    throw ValidationError("no database: pass --database-url or set REMIT_DATABASE_URL")
}

extension RegionName: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
}

extension RegionRole: ExpressibleByArgument {}
