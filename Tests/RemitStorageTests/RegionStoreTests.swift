import RemitDomain
import RemitCore
import RemitPostgres
import RemitTestSupport
import Testing
@testable import RemitStorage

@Suite("region control row")
struct RegionStoreTests {
    private func migrated(_ body: (PostgresPool) async throws -> Void) async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            try await body(pool)
        }
    }

    @Test("the first claim records the region; later claims by it read the same row")
    func claim() async throws {
        try await migrated { pool in
            let store = RegionStore(pool: pool)
            #expect(try await store.current() == nil)
            let east = RegionName(rawValue: "east")!
            let state = try await store.claim(east, initialRole: .writer)
            #expect(state.region == east && state.role == .writer)
            #expect(state.epoch == 1 && state.headPosition == 1, "a writer's first claim opens epoch 1 with EpochStarted")
            // A second claim, even with another initial role, changes nothing.
            #expect(try await store.claim(east, initialRole: .reader) == state)
            #expect(try await store.current() == state)
        }
    }

    @Test("a reader's first claim opens no epoch: its log comes from the writer")
    func readerClaim() async throws {
        try await migrated { pool in
            let state = try await RegionStore(pool: pool).claim(RegionName(rawValue: "west")!, initialRole: .reader)
            #expect(state == RegionState(region: RegionName(rawValue: "west")!, role: .reader, epoch: 0, headPosition: 0, headHash: [UInt8](repeating: 0, count: 32)))
        }
    }

    @Test("another region can not claim or rename a claimed database")
    func wrongRegion() async throws {
        try await migrated { pool in
            let store = RegionStore(pool: pool)
            _ = try await store.claim(RegionName(rawValue: "east")!, initialRole: .writer)
            await #expect(throws: RegionStoreError.self) {
                try await store.claim(RegionName(rawValue: "west")!, initialRole: .writer)
            }
            let error = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("UPDATE region_state SET region = $1", ["west"]) }
            }
            #expect(error.sqlState == .checkViolation)
            let second = try await #require(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("INSERT INTO region_state (region, role) VALUES ($1, $2)", ["west", "writer"]) }
            }
            #expect(second.sqlState == .uniqueViolation)
        }
    }

    @Test("the database refuses invalid roles and names")
    func constraints() async throws {
        try await migrated { pool in
            for (region, role) in [("east", "boss"), ("East", "writer"), ("", "reader")] {
                let error = try await #require(throws: PostgresError.self) {
                    try await pool.withConnection {
                        try $0.query("INSERT INTO region_state (region, role) VALUES ($1, $2)", [region, role])
                    }
                }
                #expect(error.sqlState == .checkViolation)
            }
        }
    }
}
