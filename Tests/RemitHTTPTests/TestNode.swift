import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RemitCore
import RemitPostgres
import RemitStorage
@testable import RemitHTTP

/// A region node's router on `pool`, with its appender and projector running, for `.router` tests.
struct TestNode {
    static let east = RegionName(rawValue: "east")!

    let node: RegionNode
    let api: LedgerAPI
    let projector: Projector
    let recorder = RouteRecorder()

    init(pool: PostgresPool, region: RegionName = TestNode.east, role: RegionRole = .writer, amountMax: Int64 = 1_000_000_00) throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        let logger = Logger(label: "test.node")
        let projector = Projector(pool: pool, logger: logger)
        self.projector = projector
        self.node = RegionNode(region: region, initialRole: role, pool: pool, migrations: migrations)
        self.api = LedgerAPI(
            appender: Appender(pool: pool, amountMax: amountMax, logger: logger) { _ in projector.notify() },
            reader: LedgerReader(pool: pool), regionStore: RegionStore(pool: pool), amountMax: amountMax
        )
    }

    /// Runs `body` with a `.router` test client while the appender and projector run.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: buildNodeRouter(node: node, api: api, recorder: recorder))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await api.appender.run() }
            group.addTask { try await projector.run() }
            defer { group.cancelAll() }
            try await app.test(.router, body)
        }
    }
}
