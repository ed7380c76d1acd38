import Foundation
import RemitPostgres

/// A fresh database per test on the throw-away cluster that `tools/test` starts, so tests run
/// in parallel without seeing each other's rows. Tests need `REMIT_TEST_DATABASE_URL`; without
/// it they fail (they are never skipped): run them through `tools/test`.
public enum TestDatabase {
    public static let environmentVariable = "REMIT_TEST_DATABASE_URL"
    /// The second cluster (region west's), for tests that need two real servers.
    public static let westEnvironmentVariable = "REMIT_TEST_DATABASE_URL_WEST"

    public struct MissingCluster: Error, CustomStringConvertible {
        public var description: String {
            "\(TestDatabase.environmentVariable) is not set: run the tests with tools/test, which starts PostgreSQL for them"
        }
    }

    /// The URL of the test cluster's own database (the one `remit clusters start` created).
    public static func clusterURL(west: Bool = false) throws -> String {
        guard let url = ProcessInfo.processInfo.environment[west ? westEnvironmentVariable : environmentVariable], !url.isEmpty else {
            throw MissingCluster()
        }
        return url
    }

    /// Creates an empty database (on the west cluster if `west`), runs `body` with its URL,
    /// and drops it afterwards.
    public static func withFresh<T: Sendable>(west: Bool = false, _ body: (String) async throws -> T) async throws -> T {
        let clusterURL = try clusterURL(west: west)
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await administer(clusterURL) { connection in
            try connection.query("CREATE DATABASE " + (try connection.quoteIdentifier(name)))
        }
        var components = URLComponents(string: clusterURL)!
        components.path = "/" + name
        let url = components.string!
        do {
            let value = try await body(url)
            try await drop(name, clusterURL)
            return value
        } catch {
            try? await drop(name, clusterURL)
            throw error
        }
    }

    private static func drop(_ name: String, _ clusterURL: String) async throws {
        try await administer(clusterURL) { connection in
            try connection.query("DROP DATABASE IF EXISTS " + (try connection.quoteIdentifier(name)) + " WITH (FORCE)")
        }
    }

    private static func administer(_ url: String, _ body: @escaping @Sendable (PostgresConnection) throws -> Void) async throws {
        let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit tests")
        do {
            try await pool.withConnection(body)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// Runs `body` with a pool on a fresh database, closing the pool afterwards.
public func withFreshPool<T: Sendable>(
    connectionsMax: Int = 4, west: Bool = false,
    _ body: (PostgresPool, String) async throws -> T
) async throws -> T {
    try await TestDatabase.withFresh(west: west) { url in
        let pool = PostgresPool(url: url, connectionsMax: connectionsMax, applicationName: "remit tests")
        do {
            let value = try await body(pool, url)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}
