import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RemitReplication
import RemitAuth
import RemitCore
import RemitMetrics
import RemitPostgres
import RemitStorage
@testable import RemitHTTP

/// A region node's router on `pool`, with its appender and projector running, for `.router` tests.
struct TestNode {
    static let east = RegionName(rawValue: "east")!
    /// Every test user's password (hashed at bcrypt's lowest cost, so tests stay quick).
    static let password = "test-password-\(UUID().uuidString.prefix(8))"
    static let passwordHash = Passwords.hash(password, cost: 4)

    let node: RegionNode
    let api: LedgerAPI
    let projector: Projector
    let identity: NodeIdentity
    let replication: NodeReplication
    let logger: Logger
    let recorder = RouteRecorder()
    let metrics = MetricsRegistry()

    init(
        pool: PostgresPool, region: RegionName = TestNode.east, role: RegionRole = .writer, amountMax: Int64 = 1_000_000_00,
        auth: AuthConfiguration = AuthConfiguration(), replication: ReplicationConfiguration = ReplicationConfiguration(),
        logger: Logger = Logger(label: "test.node")
    ) throws {
        self.replication = NodeReplication(configuration: replication, pool: pool)
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        let projector = Projector(pool: pool, logger: logger)
        self.projector = projector
        self.logger = logger
        self.node = RegionNode(region: region, initialRole: role, pool: pool, migrations: migrations)
        self.api = LedgerAPI(
            appender: Appender(pool: pool, amountMax: amountMax, logger: logger, onBatch: NodeMetrics.appendObserver(metrics)) { _ in
                projector.notify()
            },
            reader: LedgerReader(pool: pool), regionStore: RegionStore(pool: pool), amountMax: amountMax
        )
        self.identity = NodeIdentity(
            store: IdentityStore(pool: pool, region: region.rawValue), keyStore: SigningKeyStore(pool: pool, region: region.rawValue),
            configuration: auth, logger: logger
        )
    }

    /// An access token for a user holding `roles`, straight from the node's issuer.
    func token(_ roles: Set<Role>, subject: String = "tester") async throws -> String {
        try await identity.tokenIssuer().issue(subject: subject, roles: roles).token
    }

    /// Makes a user per role (`clerk`, `auditor`, …) and `tester` with every role, all with `password`.
    func addUsers() async throws {
        let context = AuditContext(actor: "test", source: "cli")
        _ = try await identity.store.bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: Self.passwordHash)
        for role in Role.allCases {
            _ = try await identity.store.addUser(name: UserName(rawValue: role.rawValue)!, roles: [role], passwordSeal: Self.passwordHash, by: context)
        }
    }

    /// Runs `body` with a `.router` test client while the appender and projector run. Unless
    /// `authenticated` is false, the client sends a bearer token of a user with every role.
    func test(authenticated: Bool = true, metricsToken: String? = nil, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        // Fails on a database that is not migrated; tests of that case need no tokens.
        let keysLoaded = (try? await identity.reloadSigningKeys()) != nil
        let token = keysLoaded && authenticated ? try await self.token(Set(Role.allCases)) : nil
        let app = Application(router: buildNodeRouter(
            node: node, api: api, identity: identity, replication: replication, recorder: recorder, metrics: metrics, metricsToken: metricsToken
        ), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await api.appender.run() }
            group.addTask { try await projector.run() }
            defer { group.cancelAll() }
            try await app.test(.router) { client in
                let client = ConformingClient(inner: client)
                try await body(token.map { BearerClient(inner: client, token: $0) } ?? client)
            }
        }
        await identity.hasher.shutdown()
    }
}

/// A test client that sends a bearer token unless the request names its own Authorization.
struct BearerClient: TestClientProtocol {
    let inner: any TestClientProtocol
    let token: String

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { inner.port }
}
