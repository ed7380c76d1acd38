import ArgumentParser
import Foundation
import Logging
import RemitStack

/// Starts and stops just the clusters of an embedded stack: what tools/test uses to get
/// throw-away PostgreSQL servers for the tests.
struct Clusters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start or stop only the PostgreSQL clusters of a data directory (for tests and tooling).",
        subcommands: [Start.self, Stop.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create (if needed) and start the clusters; print NAME URL for each region."
        )
        @OptionGroup var stack: StackOptions

        @Flag(help: "Clusters for tests, thrown away after: no fsync (set when a cluster is first made).")
        var throwaway = false

        @Option(help: "An address (IPv4 or IPv6 literal) to listen on besides loopback, for nodes and runbooks on other hosts of its subnet; repeat for more.")
        var listenAddress: [ListenAddress] = []

        func run() async throws {
            for cluster in try clusters(stack) {
                try cluster.initializeIfNeeded(throwaway: throwaway)
                try cluster.start(listenAddresses: listenAddress)
                try cluster.createDatabaseIfNeeded()
                print("\(cluster.region) \(try cluster.databaseURL())")
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the clusters; a running remit up leaves them down until remit clusters start.")
        @OptionGroup var stack: StackOptions

        func run() async throws {
            for cluster in try clusters(stack).reversed() { try cluster.stop(holding: true) }
        }
    }
}

/// The clusters of the stack's regions, in `--regions` order.
func clusters(_ stack: StackOptions) throws -> [LocalCluster] {
    let installation = try PostgresInstallation.locate()
    let account = try ServerAccount.resolve()
    return try stack.regionNames().enumerated().map { index, name in
        LocalCluster(
            region: name, dataDirectory: stack.absoluteDataDirectory, port: stack.postgresPort + index,
            installation: installation, account: account
        )
    }
}

extension ListenAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
