import ArgumentParser
import RemitPostgres
import RemitStorage

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations to a region's database, each in its own transaction."
    )

    @Option(help: "The database (libpq URL). Default: $REMIT_DATABASE_URL.")
    var databaseURL: String?

    @Option(help: "Folder of NNNN_name.sql files. Default: the source tree's Migrations/, or $REMIT_MIGRATIONS_DIR.")
    var migrationsDir: String?

    func run() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate(explicit: migrationsDir))
        let pool = PostgresPool(url: try resolveDatabaseURL(databaseURL), connectionsMax: 1, applicationName: "remit migrate")
        let applied: [Int]
        do {
            applied = try await Migrator(pool: pool).apply(migrations)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        if applied.isEmpty {
            print("nothing to apply: all \(migrations.count) migrations are applied")
        } else {
            for version in applied {
                let migration = migrations.first { $0.version == version }!
                print("applied \(String(format: "%04d", version))_\(migration.name).sql (sha256 \(migration.checksum.prefix(12))…)")
            }
        }
    }
}
