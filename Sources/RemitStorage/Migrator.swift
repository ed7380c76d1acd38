import RemitPostgres

/// Applies migrations to one database: each file in its own transaction, recorded in
/// `schema_migrations` with its checksum. Concurrent migrators (two nodes starting at once)
/// serialise on an advisory lock, so each file is applied exactly once.
public struct Migrator: Sendable {
    /// Identifies our advisory lock among any others the database's users take ("remit mig").
    static let advisoryLockKey: Int64 = 0x7265_6D69_745F_6D67

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// What the database has compared with the files.
    public struct Status: Sendable, Equatable {
        public var applied: Int
        public var pending: [Int]
        /// Empty when every applied migration matches its file.
        public var problems: [String]

        /// True when nothing is pending and nothing is wrong: what `/readyz` asks.
        public var isCurrent: Bool { pending.isEmpty && problems.isEmpty }
    }

    /// Applies every pending migration and returns the versions it applied.
    /// Refuses to apply anything if an applied migration's file changed or is unknown.
    @discardableResult
    public func apply(_ migrations: [Migration]) async throws -> [Int] {
        try await pool.withConnection { connection in
            try connection.withTransaction { connection in
                try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.advisoryLockKey])
                try connection.execute(script: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    integer     PRIMARY KEY,
                        name       text        NOT NULL,
                        checksum   text        NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """)
            }
            var appliedNow: [Int] = []
            for migration in migrations {
                let applied = try connection.withTransaction { connection in
                    try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.advisoryLockKey])
                    let recorded = try Self.recorded(connection)
                    if let problem = Self.problems(recorded: recorded, files: migrations).first {
                        throw problem
                    }
                    if recorded[migration.version] != nil { return false }
                    do {
                        try connection.execute(script: migration.sql)
                    } catch {
                        throw MigrationError(
                            code: .failed,
                            message: "\(migration.version)_\(migration.name).sql failed and was rolled back: \(error)"
                        )
                    }
                    try connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [Int32(migration.version), migration.name, migration.checksum]
                    )
                    return true
                }
                if applied { appliedNow.append(migration.version) }
            }
            return appliedNow
        }
    }

    /// Compares the database with the files without changing anything.
    public func status(_ migrations: [Migration]) async throws -> Status {
        try await pool.withConnection { connection in
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
            let recorded = try exists[0].decode(0, as: Bool.self) ? Self.recorded(connection) : [:]
            return Status(
                applied: recorded.count,
                pending: migrations.map(\.version).filter { recorded[$0] == nil },
                problems: Self.problems(recorded: recorded, files: migrations).map(\.message)
            )
        }
    }

    private static func recorded(_ connection: PostgresConnection) throws -> [Int: (name: String, checksum: String)] {
        var recorded: [Int: (name: String, checksum: String)] = [:]
        for row in try connection.query("SELECT version, name, checksum FROM schema_migrations") {
            recorded[try row.decode(0, as: Int.self)] = (try row.decode(1), try row.decode(2))
        }
        return recorded
    }

    private static func problems(
        recorded: [Int: (name: String, checksum: String)],
        files: [Migration]
    ) -> [MigrationError] {
        let byVersion = Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0) })
        return recorded.keys.sorted().compactMap { version in
            let applied = recorded[version]!
            guard let file = byVersion[version] else {
                return MigrationError(
                    code: .unknownApplied,
                    message: "the database has migration \(version)_\(applied.name), which this program does not have; it is older than the database"
                )
            }
            guard file.checksum == applied.checksum else {
                return MigrationError(
                    code: .checksumMismatch,
                    message: "\(version)_\(file.name).sql changed after it was applied (applied \(applied.checksum.prefix(12))…, file \(file.checksum.prefix(12))…); add a new migration instead of editing an applied one"
                )
            }
            return nil
        }
    }
}
