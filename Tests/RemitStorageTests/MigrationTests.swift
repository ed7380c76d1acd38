import Foundation
import RemitPostgres
import RemitTestSupport
import Testing
@testable import RemitStorage

@Suite("migrations")
struct MigrationTests {
    /// A folder of migration files for one test.
    private func folder(_ files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remit-migrations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        return directory
    }

    private func tables(_ pool: PostgresPool) async throws -> [String] {
        try await pool.withConnection { connection in
            try connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
                .map { try $0.decode(0, as: String.self) }
        }
    }

    @Test("a fresh database gets every migration, in order, recorded with checksums")
    func freshApply() async throws {
        let directory = try folder([
            "0001_first.sql": "CREATE TABLE a (n int);",
            "0002_second.sql": "CREATE TABLE b (n int); INSERT INTO a VALUES (1);",
            "README.md": "not a migration",
        ])
        let migrations = try Migration.load(directory: directory)
        #expect(migrations.map(\.version) == [1, 2])
        try await withFreshPool { pool, _ in
            let migrator = Migrator(pool: pool)
            #expect(try await migrator.status(migrations).pending == [1, 2])
            #expect(try await migrator.apply(migrations) == [1, 2])
            #expect(try await tables(pool) == ["a", "b", "schema_migrations"])
            let recorded = try await pool.withConnection { connection in
                try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                    .map { (try $0.decode(0, as: Int.self), try $0.decode(1, as: String.self)) }
            }
            #expect(recorded.map(\.0) == [1, 2])
            #expect(recorded.map(\.1) == migrations.map(\.checksum))
            #expect(try await migrator.status(migrations).isCurrent)
        }
    }

    @Test("re-applying applies nothing new")
    func idempotent() async throws {
        let migrations = try Migration.load(directory: try folder(["0001_first.sql": "CREATE TABLE a (n int); INSERT INTO a VALUES (1);"]))
        try await withFreshPool { pool, _ in
            let migrator = Migrator(pool: pool)
            #expect(try await migrator.apply(migrations) == [1])
            #expect(try await migrator.apply(migrations) == [])
            let rows = try await pool.withConnection { try $0.query("SELECT count(*) FROM a")[0].decode(0, as: Int64.self) }
            #expect(rows == 1)
        }
    }

    @Test("concurrent migrators apply each file exactly once")
    func concurrentMigrators() async throws {
        let migrations = try Migration.load(directory: try folder([
            "0001_first.sql": "CREATE TABLE a (n int);", "0002_second.sql": "INSERT INTO a VALUES (1);",
        ]))
        try await withFreshPool { pool, _ in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator(pool: pool).apply(migrations) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(applied.sorted() == [1, 2])
            let rows = try await pool.withConnection { try $0.query("SELECT count(*) FROM a")[0].decode(0, as: Int64.self) }
            #expect(rows == 1)
        }
    }

    @Test("an applied file that changed is refused, and nothing else is applied")
    func checksumChangeRefused() async throws {
        let original = try Migration.load(directory: try folder(["0001_first.sql": "CREATE TABLE a (n int);"]))
        let edited = try Migration.load(directory: try folder([
            "0001_first.sql": "CREATE TABLE a (n bigint);", "0002_second.sql": "CREATE TABLE b (n int);",
        ]))
        try await withFreshPool { pool, _ in
            let migrator = Migrator(pool: pool)
            try await migrator.apply(original)
            let error = try await #require(throws: MigrationError.self) { try await migrator.apply(edited) }
            #expect(error.code == .checksumMismatch)
            #expect(try await tables(pool) == ["a", "schema_migrations"])
            let status = try await migrator.status(edited)
            #expect(!status.isCurrent)
            #expect(status.problems.count == 1)
        }
    }

    @Test("a database newer than the program is refused")
    func unknownApplied() async throws {
        let newer = try Migration.load(directory: try folder(["0001_first.sql": "SELECT 1;", "0002_second.sql": "SELECT 2;"]))
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(newer)
            let error = try await #require(throws: MigrationError.self) {
                try await Migrator(pool: pool).apply(Array(newer.prefix(1)))
            }
            #expect(error.code == .unknownApplied)
        }
    }

    @Test("a failing migration is rolled back whole and not recorded")
    func failingMigrationRollsBack() async throws {
        let migrations = try Migration.load(directory: try folder(["0001_first.sql": "CREATE TABLE a (n int); SELECT * FROM missing;"]))
        try await withFreshPool { pool, _ in
            let error = try await #require(throws: MigrationError.self) { try await Migrator(pool: pool).apply(migrations) }
            #expect(error.code == .failed)
            #expect(try await tables(pool) == ["schema_migrations"])
        }
    }

    @Test("badly named files, repeats and gaps are errors, not skipped")
    func loadErrors() throws {
        #expect(throws: MigrationError.self) { try Migration.load(directory: try folder(["1_short.sql": ""])) }
        #expect(throws: MigrationError.self) { try Migration.load(directory: try folder(["0001-dash.sql": ""])) }
        #expect(throws: MigrationError.self) { try Migration.load(directory: try folder(["0001_Upper.sql": ""])) }
        let gap = #expect(throws: MigrationError.self) {
            try Migration.load(directory: try folder(["0001_a.sql": "", "0003_c.sql": ""]))
        }
        #expect(gap?.code == .invalidSequence)
        let repeated = #expect(throws: MigrationError.self) {
            try Migration.load(directory: try folder(["0001_a.sql": "", "0001_b.sql": ""]))
        }
        #expect(repeated?.code == .invalidSequence)
        #expect(throws: MigrationError.self) { try Migration.load(directory: "/nonexistent/remit") }
    }

    @Test("the project's own migrations apply to a fresh database")
    func projectMigrations() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        #expect(!migrations.isEmpty)
        try await withFreshPool { pool, _ in
            let applied = try await Migrator(pool: pool).apply(migrations)
            #expect(applied == migrations.map(\.version))
        }
    }
}
