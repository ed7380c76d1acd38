import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RemitWire
import RemitCore
import RemitPostgres
import RemitStorage
import RemitTestSupport
import Testing
@testable import RemitHTTP

@Suite("region node HTTP")
struct NodeTests {
    static let east = RegionName(rawValue: "east")!

    static func projectMigrations() throws -> [Migration] {
        try Migration.load(directory: try MigrationsDirectory.locate())
    }

    @Test("/healthz answers while the process lives, even without a database")
    func healthz() async throws {
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", connectionsMax: 1)
        try await TestNode(pool: pool).test { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"alive"}"#)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == Problem.contentType)
                let problem = try RemitJSON.decoder().decode(Problem.self, from: Data(buffer: response.body))
                #expect(problem.type == "urn:remit:problem:not-ready")
                #expect(problem.detail == "the region's database is unreachable")
            }
        }
        await pool.close()
    }

    @Test("/readyz is 503 until migrations are applied, then 200 with the region's state")
    func readyz() async throws {
        let migrations = try Self.projectMigrations()
        try await withFreshPool { pool, _ in
            try await TestNode(pool: pool).test { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let problem = try RemitJSON.decoder().decode(Problem.self, from: Data(buffer: response.body))
                    #expect(problem.detail?.contains("migrations pending") == true)
                }
                try await Migrator(pool: pool).apply(migrations)
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    let readiness = try RemitJSON.decoder().decode(Readiness.self, from: Data(buffer: response.body))
                    #expect(readiness.region == Self.east)
                    #expect(readiness.role == .writer)
                    #expect(readiness.epoch == 1, "a region that starts as the writer opens epoch 1")
                    #expect(readiness.headPosition == 1, "with EpochStarted as the first event")
                }
            }
        }
    }

    @Test("a node pointed at another region's database is not ready")
    func wrongRegionDatabase() async throws {
        let migrations = try Self.projectMigrations()
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: "west")!, initialRole: .reader)
            try await TestNode(pool: pool).test { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let problem = try RemitJSON.decoder().decode(Problem.self, from: Data(buffer: response.body))
                    #expect(problem.detail == "this database belongs to region west, not east")
                }
            }
        }
    }

    @Test("every response carries the security headers, errors included, and no CORS header")
    func securityHeaders() async throws {
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", connectionsMax: 1)
        try await TestNode(pool: pool).test { client in
            for uri in ["/healthz", "/readyz", "/nothing", "/api/v1/openapi.json"] {
                let response = try await client.execute(uri: uri, method: .get, headers: [HTTPField.Name("Origin")!: "https://evil.example"])
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true, "\(uri)")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                #expect(response.headers[.accessControlAllowOrigin] == nil, "\(uri)")
            }
        }
        await pool.close()
    }

    @Test("an unknown route is a problem+json 404")
    func notFound() async throws {
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1)
        try await TestNode(pool: pool).test { client in
            try await client.execute(uri: "/nothing/here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == Problem.contentType)
                let problem = try RemitJSON.decoder().decode(Problem.self, from: Data(buffer: response.body))
                #expect(problem.type == "urn:remit:problem:not-found")
                #expect(problem.status == .notFound)
            }
        }
        await pool.close()
    }
}
