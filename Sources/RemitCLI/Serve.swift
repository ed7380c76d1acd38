import ArgumentParser
import Foundation
import Logging
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

    @Option(help: .hidden)
    var parentPid: Int32?

    func validate() throws {
        guard amountMax > 0 else { throw ValidationError("--amount-max must be positive") }
    }

    func run() async throws {
        let logger = Logger(label: "remit.node.\(region)")
        let url = try resolveDatabaseURL(databaseURL)
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate(explicit: migrationsDir))
        let pool = PostgresPool(url: url, applicationName: "remit serve \(region)")
        let node = RegionNode(region: region, initialRole: initialRole, pool: pool, migrations: migrations)
        let app = buildNodeApplication(node: node, configuration: .init(host: host, port: port, amountMax: amountMax), logger: logger)
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
