import Crypto
import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitTestSupport
import Testing

@Suite("upgrade: per-region identity tables (0004) carried into the log once, at the writer")
struct IdentityUpgradeTests {
    @Test("a pre-upgrade pair of regions: the writer logs its users and both regions' audit entries; the reader's own rows give way; sign-in works from the log's copy")
    func upgradeFromPerRegionTables() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        // The identity tables as 0006 left them; the event log's columns as this program writes
        // them (0009), so that the regions can be claimed and replicate before the upgrade.
        let before = migrations.filter { $0.version <= 6 || $0.name == "idempotency_scope" }
        let hash = Passwords.hash("correct horse battery", cost: 4)
        try await withFreshPool(connectionsMax: 4) { east, _ in
            try await withFreshPool(connectionsMax: 4, west: true) { west, _ in
                // As 0006 left them: each region with users and audit lines of its own.
                for pool in [east, west] { try await Migrator(pool: pool).apply(before) }
                _ = try await RegionStore(pool: east).claim(RegionName(rawValue: "east")!, initialRole: .writer)
                _ = try await RegionStore(pool: west).claim(RegionName(rawValue: "west")!, initialRole: .reader)
                try await replicateOnce(from: east, to: west)
                for (pool, users) in [(east, ["admin", "carol"]), (west, ["admin", "walter"])] {
                    try await pool.withConnection { connection in
                        for user in users {
                            try connection.query(
                                "INSERT INTO users (name, password_hash, roles, disabled) VALUES ($1, $2, $3, $4)",
                                [user, hash, PostgresArray(user == "admin" ? ["admin"] : ["clerk"]), user == "carol"]
                            )
                            try connection.query(
                                "INSERT INTO audit_log (region, actor, source, action, target, outcome) VALUES ('legacy', 'cli:root', 'cli', 'user.add', $1, 'succeeded')",
                                [user]
                            )
                        }
                        try connection.query(
                            "INSERT INTO refresh_tokens (token_hash, family, user_name, expires_at) VALUES ($1, $2, 'admin', now() + interval '1 hour')",
                            [Array(repeating: UInt8(7), count: 32), UUID()]
                        )
                    }
                }
                // The upgrade.
                for pool in [east, west] { try await Migrator(pool: pool).apply(migrations) }
                let seal = CredentialSeal(key: SymmetricKey(size: .bits256))
                let eastStore = IdentityStore(pool: east, region: "east"), westStore = IdentityStore(pool: west, region: "west")
                // A reader logs nothing: it is refused, and its rows stay until the writer's arrive.
                await #expect(throws: NotWriterError.self) { try await westStore.logPending(seal: { seal.seal($0) }) }
                #expect(try await westStore.users().map(\.name.rawValue) == ["admin", "walter"])

                // The writer logs its two users (sealed) and its two audit lines, once.
                #expect(try await eastStore.logPending(seal: { seal.seal($0) }) == 4)
                #expect(try await eastStore.logPending(seal: { seal.seal($0) }) == 0)
                try await replicateOnce(from: east, to: west)
                let eastUsers = try await eastStore.users()
                #expect(eastUsers.map(\.name.rawValue) == ["admin", "carol"] && eastUsers[1].disabled)
                #expect(try await westStore.users() == eastUsers, "the reader's own walter gave way to the writer's users")
                let credentials = try #require(try await westStore.credentials(UserName(rawValue: "admin")!))
                #expect(credentials.passwordSeal.hasPrefix("seal1.") && seal.open(credentials.passwordSeal) == hash)

                // The reader's own audit lines go to the writer (as its node's forwarder carries
                // them) and come back in the log: one trail, both regions' history in it.
                let carried = try await westStore.outbox(limit: 100)
                #expect(carried.map(\.target) == ["admin", "walter"])
                #expect(try await eastStore.logEntries(carried) == 2)
                #expect(try await eastStore.logEntries(carried) == 0, "each entry is logged once")
                try await replicateOnce(from: east, to: west)
                #expect(try await westStore.outbox(limit: 100).isEmpty)
                let trail = try await eastStore.auditRecords(after: 0, limit: 100)
                #expect(trail.map(\.target) == ["admin", "carol", "admin", "walter"])
                #expect(try await westStore.auditRecords(after: 0, limit: 100) == trail)
                let log = try await LedgerReader(pool: west).events(after: 0, limit: 100)
                #expect(log == (try await LedgerReader(pool: east).events(after: 0, limit: 100)))
                guard case .success = LedgerFormat.verify(log, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 1) else {
                    Issue.record("the upgraded log verifies"); return
                }
            }
        }
    }
}
