import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitCore
import RemitHTTP
import RemitPostgres
import RemitStorage
import RemitWire
import RemitReplication
import ServiceLifecycle

/// A region node inside the benchmark's process, on a free loopback port and the writer's
/// database, so the same run can measure creates with and without access checks, and with
/// and without metrics.
enum BenchNode {
    static func with<T: Sendable>(
        region: RegionName, databaseURL: String, key: ReplicationKey?, accessChecks: Bool, metrics: Bool = true,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "remit.bench.node")
        logger.logLevel = .warning
        let pool = PostgresPool(url: databaseURL, applicationName: "remit bench node")
        let node = RegionNode(
            region: region, initialRole: .writer, pool: pool, migrations: try Migration.load(directory: try MigrationsDirectory.locate())
        )
        var auth = AuthConfiguration()
        auth.accessChecks = accessChecks
        var configuration = NodeConfiguration(host: "127.0.0.1", port: 0, auth: auth)
        configuration.metrics = metrics
        // Passwords are sealed with a key derived from the deployment key: without it no one signs in.
        configuration.replication = ReplicationConfiguration(key: key)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildNodeApplication(
            node: node, configuration: configuration, logger: logger,
            onServerRunning: { portContinuation.yield($0) }
        )
        let group = ServiceGroup(services: [app], logger: logger)
        do {
            let value = try await withThrowingTaskGroup(of: T?.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return nil
                }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw BenchError("the benchmark's node did not start") }
                let value = try await body("http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            }
            await pool.close()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            await pool.close()
            throw error
        }
    }
}
