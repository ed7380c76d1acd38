import ArgumentParser
import Foundation
import Logging
import RemitStack
import RemitStorage
import ServiceLifecycle

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the embedded two-region stack: a PostgreSQL cluster and a node per region, and the router."
    )

    @OptionGroup var stack: StackOptions

    @Option(help: "Port of the first region's node; the next regions take the following ports.")
    var nodePort = 8081

    @Option(help: "Port of the router, the endpoint clients use.")
    var routerPort = 8080

    @Option(help: "Port of the second router (clients may use either; each renews the writer's lease); 0 for none.")
    var secondRouterPort = 8090

    @Option(help: "Folder of the migrations. Default: the source tree's Migrations/, or $REMIT_MIGRATIONS_DIR.")
    var migrationsDir: String?

    @Option(help: "Log lines of remit up, its nodes and its router as text or json (one object per line).")
    var logFormat: LogFormat = .text

    @Flag(help: "Have the nodes and the router log one line per request answered.")
    var accessLog = false

    @OptionGroup var autoFailover: AutoFailoverOptions

    @OptionGroup var lease: LeaseOption

    @OptionGroup var checkpoint: CheckpointOption

    func run() async throws {
        logFormat.bootstrap()
        let logger = Logger(label: "remit.up")
        let names = try stack.regionNames()
        let dataDirectory = stack.absoluteDataDirectory
        let lock = try DataDirectoryLock(dataDirectory: dataDirectory)
        var configuration = StackConfiguration(
            dataDirectory: dataDirectory,
            regions: names.enumerated().map { index, name in
                .init(name: name, postgresPort: stack.postgresPort + index, nodePort: nodePort + index)
            },
            initialWriter: names[0],
            routerPort: routerPort,
            executable: currentExecutable(),
            migrationsDirectory: try MigrationsDirectory.locate(explicit: migrationsDir)
        )
        configuration.logFormat = logFormat.rawValue
        configuration.accessLog = accessLog
        configuration.secondRouterPort = secondRouterPort == 0 ? nil : secondRouterPort
        configuration.leaseMilliseconds = lease.leaseMilliseconds
        configuration.checkpointMilliseconds = checkpoint.checkpointMilliseconds
        configuration.autoFailoverAfterSeconds = autoFailover.autoFailoverAfterSeconds
        configuration.autoFailoverLagEventsMax = autoFailover.autoFailoverLagEventsMax
        let service = UpService(stack: try EmbeddedStack(configuration: configuration, logger: logger), logger: logger)
        try await ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )).run()
        withExtendedLifetime(lock) {}
    }
}

/// Starts everything and keeps it running (`Supervisor`) until SIGTERM/SIGINT, or until
/// something dies too often; then stops everything.
struct UpService: Service {
    let stack: EmbeddedStack
    let logger: Logger

    func run() async throws {
        let configuration = stack.configuration
        try await stack.startClusters()
        let adminPassword: String?
        do {
            adminPassword = try await stack.bootstrapAdmin()
        } catch {
            stack.stopClusters()
            throw error
        }
        let children: [ChildProcess]
        do {
            children = try await stack.startProcesses(parentProcessID: getpid())
        } catch {
            stack.stopClusters()
            throw error
        }
        printSummary(configuration, children: children, adminPassword: adminPassword)

        // A process or cluster that dies is started again; the rest never stop for it.
        let supervisor = stack.supervisor(children: children)
        var failure: (any Error)?
        do {
            try await supervisor.run { Task.isShuttingDownGracefully || Task.isCancelled }
        } catch {
            failure = error
            logger.error("stopping the stack", metadata: ["reason": "\(error)"])
        }
        print("remit: stopping")
        for child in supervisor.children.reversed() { await child.stop() }
        stack.stopClusters()
        print("remit: stopped")
        if let failure { throw failure }
    }

    private func printSummary(_ configuration: StackConfiguration, children: [ChildProcess], adminPassword: String?) {
        var lines = ["remit is up", "  router      \(configuration.routerURLs.joined(separator: " and "))  (the endpoints clients use: either one)"]
        for region in configuration.regions {
            let role = region.name == configuration.initialWriter ? "writer" : "reader"
            lines.append("  region \(region.name)  node \(configuration.nodeURL(region)), PostgreSQL 127.0.0.1:\(region.postgresPort), \(role) at first start")
            if let cluster = stack.cluster(region.name) {
                lines.append("               database URL (with password) in \(cluster.directory)/database-url")
            }
        }
        lines.append("  data        \(configuration.dataDirectory)")
        lines.append("  logs        \(configuration.logDirectory)/ (node-<region>.log, router.log) and regions/<region>/postgres.log")
        if let adminPassword {
            // Printed this once; the file keeps it for the operator (and `remit bench`).
            lines.append("  admin       user admin (every role), password \(adminPassword)")
            lines.append("               also in \(stack.adminPasswordFile) (mode 0600); change it with remit users passwd admin")
        } else {
            lines.append("  sign in     POST \(configuration.routerURL)/api/v1/auth/token (first admin's password: \(stack.adminPasswordFile))")
        }
        lines.append("Stop with Ctrl-C (or SIGTERM): every process and both clusters stop cleanly.")
        print(lines.joined(separator: "\n"))
        fflush(nil)  // all output streams: stdout may be a pipe, and the summary must show now
    }
}
