import ArgumentParser
import Foundation
import AsyncHTTPClient
import Logging
import RemitWire
import RemitCore
import RemitRouter
import ServiceLifecycle

struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Run the router: the one endpoint clients use, in front of every region."
    )

    @Option(name: .customLong("region"), help: "A region and one of its nodes, as NAME=URL; repeat for each region.")
    var regions: [String]

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "Requests per second one client address may make, sustained.")
    var rateLimit: Double = Limits.routerRequestsPerSecondPerAddress

    @Option(help: "Requests one client address may make at once.")
    var rateBurst: Double = Limits.routerBurstPerAddress

    @OptionGroup var tls: TLSOptions

    @Option(help: .hidden)
    var parentPid: Int32?

    @Option(help: "Log lines as text or json (one object per line: time, level, message, node, request_id, …).")
    var logFormat: LogFormat = .text

    @Flag(help: "Log one line per request answered: method, route, status, milliseconds, request and trace ids.")
    var accessLog = false

    @Option(help: ArgumentHelp("A JSON file of alarm thresholds to change (the others keep their defaults): " + AlarmThresholds.names.joined(separator: ", ") + "."))
    var alarmsFile: String?

    @OptionGroup var autoFailover: AutoFailoverOptions

    @OptionGroup var lease: LeaseOption

    func validate() throws {
        _ = try parsedRegions()
        guard rateLimit > 0, rateBurst >= 1 else { throw ValidationError("--rate-limit must be positive and --rate-burst at least 1") }
    }

    func run() async throws {
        logFormat.bootstrap()
        var logger = Logger(label: "remit.router")
        logger[metadataKey: "node"] = "router \(host):\(port)"
        var configuration = RouterConfiguration(
            host: host, port: port, regions: try parsedRegions(),
            requestsPerSecondPerAddress: rateLimit, burstPerAddress: rateBurst
        )
        configuration.tls = tls.tls
        configuration.metricsToken = try MetricsToken.fromEnvironment()
        configuration.accessLog = accessLog
        if let alarmsFile { configuration.alarmThresholds = try AlarmFile.read(alarmsFile) }
        configuration.autoFailover = autoFailover.policy
        configuration.leaseMilliseconds = lease.leaseMilliseconds
        // From the environment only (argv is visible in ps); without it no write lease is renewed.
        if let hex = ProcessInfo.processInfo.environment["REMIT_REPLICATION_KEY"] {
            guard let key = ReplicationKey(hex: hex) else { throw ValidationError("REMIT_REPLICATION_KEY must be 64 hex digits") }
            configuration.deploymentKey = key
        } else {
            guard configuration.autoFailover == nil else {
                throw ValidationError("--auto-failover-after-seconds needs REMIT_REPLICATION_KEY: the target's node takes only a signed request")
            }
            logger.warning("no REMIT_REPLICATION_KEY: write leases are not renewed, so a forced failover can not be fenced by them")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let app = try buildRouterApplication(configuration: configuration, client: client, logger: logger)
        logger.info("routing", metadata: ["address": "\(host):\(port)"])
        do {
            try await ServiceGroup.remit(services: [app], parentProcessID: parentPid, logger: logger).run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func parsedRegions() throws -> [RouterConfiguration.Region] {
        guard !regions.isEmpty else { throw ValidationError("name at least one --region NAME=URL") }
        let parsed = try regions.map { text in
            let (name, url) = try regionAndURL(text, option: "--region")
            return RouterConfiguration.Region(name: name, url: url)
        }
        guard Set(parsed.map(\.name)).count == parsed.count else { throw ValidationError("a region is named twice") }
        return parsed
    }
}
