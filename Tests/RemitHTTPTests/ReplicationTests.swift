import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitReplication
import RemitWire
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage
import RemitTestSupport
import ServiceLifecycle
import Testing
@testable import RemitHTTP

/// A node application on `pool` listening on a free port, running until `body` returns.
func withRunningNode<T: Sendable>(
    pool: PostgresPool, region: String, role: RegionRole, replication: ReplicationConfiguration, auth: AuthConfiguration = AuthConfiguration(),
    port: Int = 0, _ body: @Sendable (String) async throws -> T
) async throws -> T {
    let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
    let node = RegionNode(region: RegionName(rawValue: region)!, initialRole: role, pool: pool, migrations: migrations)
    _ = await node.readiness()  // claims the database for the region
    var logger = Logger(label: "test.\(region)")
    logger.logLevel = .warning
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = try buildNodeApplication(
        node: node, configuration: .init(host: "127.0.0.1", port: port, auth: auth, replication: replication), logger: logger,
        onServerRunning: { portContinuation.yield($0) }
    )
    let group = ServiceGroup(services: [app], logger: logger)
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do {
            let value = try await body("http://127.0.0.1:\(port)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}

@Suite("replication between two real clusters over HTTP")
struct ReplicationTests {
    static let keyHex = ReplicationKey.generateHex()
    static let key = ReplicationKey(hex: keyHex)!

    static func createMany(_ base: String, token: String, count: Int) async throws {
        for index in 0..<count {
            var request = HTTPClientRequest(url: base + "/api/v1/remittances")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(string: createBody.replacingOccurrences(of: "12345", with: String(1_000 + index))))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .created)
        }
    }

    static func signIn(_ base: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/api/v1/auth/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"username":"tester","password":"\#(TestNode.password)"}"#))
        for _ in 0..<50 {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 16)
            if response.status == .ok { return try RemitJSON.decoder().decode(TokenBody.self, from: Data(buffer: body)).accessToken }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SegmentStoreError(description: "could not sign in")
    }

    static func waitUntilCaughtUp(_ writer: PostgresPool, _ reader: PostgresPool) async throws {
        for _ in 0..<200 {
            if try await SegmentStore(pool: reader).head().head == SegmentStore(pool: writer).head().head { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the reader did not catch up within 20 s")
    }

    /// The log without the writer's checkpoints: the writer signs one whenever its upkeep finds
    /// one due, so how many there are, and whether the last reached the reader before it
    /// stopped, depends on timing; every other event must be the same in both regions.
    static func withoutCheckpoints(_ events: [RecordedEvent]) -> [RecordedEvent] {
        events.filter { $0.streamID != IdentityEvent.checkpointStreamID }
    }

    @Test("events created at the writer appear at the reader identically; a reader restart resumes without gaps or duplicates")
    func endToEnd() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool(connectionsMax: 8) { writer, _ in
            try await withFreshPool(connectionsMax: 8, west: true) { reader, _ in
                for pool in [writer, reader] { try await Migrator(pool: pool).apply(migrations) }
                _ = try await IdentityStore(pool: writer, region: "east").bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: TestNode.passwordHash)
                let writerConfiguration = ReplicationConfiguration(key: Self.key, pullingRegions: ["west"])
                try await withRunningNode(pool: writer, region: "east", role: .writer, replication: writerConfiguration) { writerURL in
                    let token = try await Self.signIn(writerURL)
                    try await Self.createMany(writerURL, token: token, count: 40)
                    let readerConfiguration = ReplicationConfiguration(key: Self.key, source: writerURL)
                    try await withRunningNode(pool: reader, region: "west", role: .reader, replication: readerConfiguration) { _ in
                        try await Self.waitUntilCaughtUp(writer, reader)
                        try await Self.createMany(writerURL, token: token, count: 20)
                        try await Self.waitUntilCaughtUp(writer, reader)
                    }
                    // The reader is down while the writer goes on; a new reader resumes from its head.
                    try await Self.createMany(writerURL, token: token, count: 30)
                    var readerAuth = AuthConfiguration()
                    readerAuth.peerJWKS = [writerURL + "/.well-known/jwks.json"]
                    try await withRunningNode(pool: reader, region: "west", role: .reader, replication: readerConfiguration, auth: readerAuth) { readerURL in
                        try await Self.waitUntilCaughtUp(writer, reader)
                        // Reads at the reader say how far behind it is.
                        var request = HTTPClientRequest(url: readerURL + "/api/v1/ledger/head")
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                        #expect(response.status == .ok)
                        #expect(response.headers.first(name: "X-Remit-Lag-Events") == "0")
                    }
                }
                let written = try await Self.withoutCheckpoints(LedgerReader(pool: writer).events(after: 0, limit: 1_000))
                // 91 of the ledger, and 3 of identity: the first user, its import, the writer's key.
                #expect(written.count == 94)
                #expect(written.filter { $0.streamID == IdentityEvent.identityStreamID }.map(\.type) == ["UserAdded", "UsersImported", "SigningKeyPublished"])
                #expect(try await Self.withoutCheckpoints(LedgerReader(pool: reader).events(after: 0, limit: 1_000)) == written)
            }
        }
    }

    @Test("a writer restart mid-stream: the reader backs off, then resumes without gaps or duplicates")
    func writerRestart() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool(connectionsMax: 8) { writer, _ in
            try await withFreshPool(connectionsMax: 8, west: true) { reader, _ in
                for pool in [writer, reader] { try await Migrator(pool: pool).apply(migrations) }
                _ = try await IdentityStore(pool: writer, region: "east").bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: TestNode.passwordHash)
                // A fixed port, so the restarted writer is where the reader looks for it.
                let port = try await withRunningNode(pool: writer, region: "east", role: .writer, replication: .init(key: Self.key, pullingRegions: ["west"])) { url in
                    Int(url.split(separator: ":").last!)!
                }
                let writerURL = "http://127.0.0.1:\(port)"
                let readerConfiguration = ReplicationConfiguration(key: Self.key, source: writerURL)
                try await withRunningNode(pool: reader, region: "west", role: .reader, replication: readerConfiguration) { _ in
                    for round in 0..<2 {
                        try await withRunningNode(pool: writer, region: "east", role: .writer, replication: .init(key: Self.key, pullingRegions: ["west"]), port: port) { url in
                            let token = try await Self.signIn(url)
                            try await Self.createMany(url, token: token, count: 25 + round)
                            try await Self.waitUntilCaughtUp(writer, reader)
                        }
                        // The writer is down now; the reader keeps trying.
                        try await Task.sleep(for: .milliseconds(300))
                    }
                }
                let written = try await Self.withoutCheckpoints(LedgerReader(pool: writer).events(after: 0, limit: 1_000))
                #expect(written.count == 52 + 3, "with the first user, its import and the writer's key")
                #expect(try await Self.withoutCheckpoints(LedgerReader(pool: reader).events(after: 0, limit: 1_000)) == written)
            }
        }
    }

    static func figures(_ base: String, token: String) async throws -> ReplicationFigures {
        var request = HTTPClientRequest(url: base + "/api/v1/replication")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return try RemitJSON.decoder().decode(ReplicationFigures.self, from: Data(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test("two nodes of the reader region: one pulls, the other stands by and takes over when the first stops")
    func onePullerPerRegion() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool(connectionsMax: 8) { writer, _ in
            try await withFreshPool(connectionsMax: 8, west: true) { reader, _ in
                for pool in [writer, reader] { try await Migrator(pool: pool).apply(migrations) }
                _ = try await IdentityStore(pool: writer, region: "east").bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: TestNode.passwordHash)
                try await withRunningNode(pool: writer, region: "east", role: .writer, replication: .init(key: Self.key, pullingRegions: ["west"])) { writerURL in
                    let token = try await Self.signIn(writerURL)
                    var peerTrust = AuthConfiguration()
                    peerTrust.peerJWKS = [writerURL + "/.well-known/jwks.json"]
                    let auth = peerTrust
                    let configuration = ReplicationConfiguration(key: Self.key, source: writerURL)
                    try await withRunningNode(pool: reader, region: "west", role: .reader, replication: configuration, auth: auth) { second in
                        try await withRunningNode(pool: reader, region: "west", role: .reader, replication: configuration, auth: auth) { first in
                            try await Self.createMany(writerURL, token: token, count: 10)
                            try await Self.waitUntilCaughtUp(writer, reader)
                            let modes = [try await Self.figures(first, token: token).mode, try await Self.figures(second, token: token).mode].sorted()
                            #expect(modes == ["pulling", "standby-puller"])
                        }
                        // Whichever pulled may be gone now; the one left pulls what comes next.
                        try await Self.createMany(writerURL, token: token, count: 10)
                        try await Self.waitUntilCaughtUp(writer, reader)
                        #expect(try await Self.figures(second, token: token).mode == "pulling")
                    }
                }
                #expect(
                    try await Self.withoutCheckpoints(LedgerReader(pool: reader).events(after: 0, limit: 100))
                        == Self.withoutCheckpoints(LedgerReader(pool: writer).events(after: 0, limit: 100))
                )
            }
        }
    }

    @Test("a wrong or missing replication key, an unknown region, or a user's token is refused")
    func channelIsAuthenticated() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool(connectionsMax: 8) { writer, _ in
            try await Migrator(pool: writer).apply(migrations)
            _ = try await IdentityStore(pool: writer, region: "east").bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: TestNode.passwordHash)
            let configuration = ReplicationConfiguration(key: Self.key, pullingRegions: ["west"])
            try await withRunningNode(pool: writer, region: "east", role: .writer, replication: configuration) { base in
                let path = "/replication/v1/segments?after=0&waitMilliseconds=0"
                func status(_ headers: [(String, String)]) async throws -> Int {
                    var request = HTTPClientRequest(url: base + path)
                    for (name, value) in headers { request.headers.add(name: name, value: value) }
                    return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
                }
                #expect(try await status(Self.key.headers(method: "GET", pathAndQuery: path, region: "west")) == 200)
                #expect(try await status([]) == 401)
                let wrongKey = ReplicationKey(hex: ReplicationKey.generateHex())!
                #expect(try await status(wrongKey.headers(method: "GET", pathAndQuery: path, region: "west")) == 401)
                #expect(try await status(Self.key.headers(method: "GET", pathAndQuery: "/replication/v1/segments?after=5", region: "west")) == 401,
                        "a signature covers the query")
                #expect(try await status(Self.key.headers(method: "GET", pathAndQuery: path, region: "west", now: Date().addingTimeInterval(-600))) == 401,
                        "an old signature")
                #expect(try await status(Self.key.headers(method: "GET", pathAndQuery: path, region: "south")) == 403)
                let token = try await Self.signIn(base)
                #expect(try await status([("Authorization", "Bearer \(token)")]) == 401)
            }
        }
    }
}
