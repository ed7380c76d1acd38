import Foundation
import RemitPostgres

/// A database of a benchmark's own, on the same cluster as `serverURL`'s, so a benchmark never
/// touches a region's data: created empty, dropped when done.
struct ScratchDatabase: Sendable {
    let name: String
    /// `serverURL` with the scratch database's name.
    let url: String
    private let administration: PostgresPool

    init(name: String, beside serverURL: String, applicationName: String) throws {
        guard var components = URLComponents(string: serverURL) else { throw BenchError("\(serverURL) is not a database URL") }
        components.path = "/" + name
        guard let url = components.string else { throw BenchError("\(serverURL) is not a database URL") }
        self.name = name
        self.url = url
        administration = PostgresPool(url: serverURL, connectionsMax: 1, applicationName: applicationName)
    }

    func exists() async throws -> Bool {
        try await administration.withConnection { try !$0.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).isEmpty }
    }

    /// Drops any earlier one (and its connections) and creates it empty.
    func create() async throws {
        try await administration.withConnection { connection in
            let quoted = try connection.quoteIdentifier(name)
            try connection.query("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
            try connection.query("CREATE DATABASE \(quoted)")
        }
    }

    func drop() async throws {
        try await administration.withConnection { connection in
            try connection.query("DROP DATABASE IF EXISTS \(try connection.quoteIdentifier(name)) WITH (FORCE)")
        }
    }

    func close() async {
        await administration.close()
    }
}
