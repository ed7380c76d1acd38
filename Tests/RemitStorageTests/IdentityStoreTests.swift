import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitTestSupport
import Testing
@testable import RemitStorage

@Suite("users, refresh-token families, signing keys and the audit trail, as events of the log")
struct IdentityStoreTests {
    static let cli = AuditContext(actor: "tester", source: "cli")
    static let hash = Passwords.hash("correct horse battery", cost: 4)

    /// A migrated database claimed by east, as the writer unless `role` says otherwise.
    private func migrated(role: RegionRole = .writer, _ body: (PostgresPool) async throws -> Void) async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: "east")!, initialRole: role)
            try await body(pool)
        }
    }

    static func name(_ text: String) -> UserName { UserName(rawValue: text)! }

    static func log(_ pool: PostgresPool) async throws -> [RecordedEvent] {
        try await LedgerReader(pool: pool).events(after: 0, limit: 1_000)
    }

    @Test("the first admin is made once, with every role, and logged by the writer with its password sealed")
    func bootstrap() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            #expect(try await store.bootstrapAdmin(name: Self.name("admin"), passwordSeal: Self.hash))
            #expect(try await !store.bootstrapAdmin(name: Self.name("admin"), passwordSeal: Self.hash))
            let users = try await store.users()
            #expect(users.map(\.name.rawValue) == ["admin"])
            #expect(users[0].roles == Set(Role.allCases))
            #expect(try await store.credentials(Self.name("admin"))?.passwordSeal == Self.hash)
            #expect(try await store.credentials(Self.name("nobody")) == nil)

            // The writer's node logs it once, sealed: the log never shows the hash.
            let seal = CredentialSeal(key: .init(size: .bits256))
            #expect(try await store.logPending(seal: { seal.seal($0) }) == 1)
            #expect(try await store.logPending(seal: { seal.seal($0) }) == 0)
            let logged = try await Self.log(pool).filter { $0.streamID == IdentityEvent.identityStreamID }
            #expect(logged.map(\.type) == ["UserAdded", "UsersImported"])
            #expect(!String(decoding: logged[0].payload, as: UTF8.self).contains("$2"))
            let stored = try #require(try await store.credentials(Self.name("admin")))
            #expect(seal.open(stored.passwordSeal) == Self.hash)
        }
    }

    @Test("user changes are events with their audit entries, refusals audited too; the last admin stays enabled")
    func userChanges() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.bootstrapAdmin(name: Self.name("admin"), passwordSeal: Self.hash)
            _ = try await store.logPending(seal: { $0 })
            let clerk = try await store.addUser(name: Self.name("carol"), roles: [.clerk], passwordSeal: Self.hash, by: Self.cli)
            #expect(clerk.roles == [.clerk] && !clerk.disabled)
            await #expect(throws: IdentityError.userExists("carol")) {
                try await store.addUser(name: Self.name("carol"), roles: [.auditor], passwordSeal: Self.hash, by: Self.cli)
            }
            await #expect(throws: IdentityError.lastAdmin("admin")) { try await store.setDisabled(Self.name("admin"), true, by: Self.cli) }
            await #expect(throws: IdentityError.userNotFound("dave")) { try await store.setDisabled(Self.name("dave"), true, by: Self.cli) }
            let disabled = try await store.setDisabled(Self.name("carol"), true, by: Self.cli)
            #expect(disabled.disabled && disabled.credentialRevision > clerk.credentialRevision)
            let audit = try await store.auditRecords(after: 0, limit: 100)
            #expect(audit.map { "\($0.action) \($0.target) \($0.outcome.rawValue)" } == [
                "user.add carol succeeded", "user.add carol refused", "user.disable admin refused", "user.disable dave refused",
                "user.disable carol succeeded",
            ])
            #expect(audit[0].actor == "tester" && audit[0].source == "cli" && audit[0].region == "east" && audit[0].detail == "roles: clerk")
            // One sequence: each entry's position is its event's, and the chain covers it.
            let log = try await Self.log(pool)
            #expect(audit.map(\.position) == log.filter { $0.streamID == IdentityEvent.auditStreamID }.map(\.position))
            guard case .success = LedgerFormat.verify(log, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 1) else {
                Issue.record("the chain verifies"); return
            }
        }
    }

    @Test("a reader refuses identity changes with NotWriterError and changes nothing")
    func readerRefuses() async throws {
        try await migrated(role: .reader) { pool in
            let store = IdentityStore(pool: pool, region: "east")
            await #expect(throws: NotWriterError.self) {
                try await store.addUser(name: Self.name("carol"), roles: [.clerk], passwordSeal: Self.hash, by: Self.cli)
            }
            await #expect(throws: NotWriterError.self) { try await store.revokeFamily(UUID(), user: "carol") }
            #expect(try await store.users().isEmpty)
            #expect(try await Self.log(pool).isEmpty)
            // An action it can only record goes to the outbox, and waits there for the writer.
            try await store.audit("signin.lock", target: "carol", context: Self.cli, outcome: .refused)
            #expect(try await store.outbox(limit: 10).map(\.action) == ["signin.lock"])
            await #expect(throws: PostgresError.self, "an entry the log does not hold stays in the outbox") {
                try await pool.withConnection { try $0.query("DELETE FROM audit_outbox") }
            }
        }
    }

    @Test("a refresh family rotates once per generation; an older one again revokes the family")
    func refreshRotation() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.bootstrapAdmin(name: Self.name("admin"), passwordSeal: Self.hash)
            _ = try await store.logPending(seal: { $0 })
            let admin = try #require(try await store.users().first)
            let family = UUID()
            guard case .rotated(let user, let next) = try await store.redeemRefreshToken(
                family: family, generation: 0, user: "admin", credentialRevision: admin.credentialRevision
            ) else { Issue.record("the first use rotates"); return }
            #expect(user.name.rawValue == "admin" && next == 1)
            // Generation 0 again: a copy is in someone else's hands.
            #expect(try await store.redeemRefreshToken(family: family, generation: 0, user: "admin", credentialRevision: admin.credentialRevision)
                == .reused(user: "admin"))
            // Its successor died with the family.
            #expect(try await store.redeemRefreshToken(family: family, generation: 1, user: "admin", credentialRevision: admin.credentialRevision)
                == .invalid)
            let audit = try await store.auditRecords(after: 0, limit: 100)
            #expect(audit.last?.action == "token.reuse" && audit.last?.outcome == .refused)
        }
    }

    @Test("logged-out families, disabled users and changed passwords refuse refresh tokens")
    func refreshRefusals() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            let carol = try await store.addUser(name: Self.name("carol"), roles: [.clerk], passwordSeal: Self.hash, by: Self.cli)
            let out = UUID()
            try await store.revokeFamily(out, user: "carol")
            #expect(try await store.redeemRefreshToken(family: out, generation: 0, user: "carol", credentialRevision: carol.credentialRevision) == .invalid)
            let changed = try await store.setPassword(Self.name("carol"), passwordSeal: Self.hash, by: Self.cli)
            #expect(try await store.redeemRefreshToken(family: UUID(), generation: 0, user: "carol", credentialRevision: carol.credentialRevision) == .invalid)
            guard case .rotated = try await store.redeemRefreshToken(
                family: UUID(), generation: 0, user: "carol", credentialRevision: changed.credentialRevision
            ) else { Issue.record("a token issued after the change works"); return }
            _ = try await store.setDisabled(Self.name("carol"), true, by: Self.cli)
            _ = try await store.setDisabled(Self.name("carol"), false, by: Self.cli)
            #expect(try await store.redeemRefreshToken(family: UUID(), generation: 0, user: "carol", credentialRevision: changed.credentialRevision) == .invalid)
        }
    }

    @Test("the rebuilt identity views equal the live ones")
    func rebuild() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.addUser(name: Self.name("carol"), roles: [.clerk], passwordSeal: Self.hash, by: Self.cli)
            _ = try await store.addUser(name: Self.name("dave"), roles: [.auditor, .operator], passwordSeal: Self.hash, by: Self.cli)
            _ = try await store.setDisabled(Self.name("dave"), true, by: Self.cli)
            _ = try await store.redeemRefreshToken(family: UUID(), generation: 0, user: "carol", credentialRevision: 0)
            let live = try await store.users()
            let families: [String] = try await pool.withConnection { try $0.query("SELECT family::text || generation FROM refresh_families ORDER BY 1").map { try $0.decode(0) } }
            try await pool.withTransaction { try IdentityProjection.rebuild($0) }
            #expect(try await store.users() == live)
            #expect(try await pool.withConnection { try $0.query("SELECT family::text || generation FROM refresh_families ORDER BY 1").map { try $0.decode(0) } } == families)
        }
    }

    @Test("a region makes its signing key once; rotation retires it but it keeps verifying; the writer publishes both")
    func signingKeys() async throws {
        try await migrated { pool in
            let keys = SigningKeyStore(pool: pool, region: "east")
            let store = IdentityStore(pool: pool, region: "east")
            let first = try await keys.currentKey()
            #expect(try await keys.currentKey().kid == first.kid)
            #expect(first.privateKey != nil)
            try await store.publishKeys()
            let (retired, second) = try await keys.rotate(by: Self.cli)
            #expect(retired == first.kid && second.kid != first.kid)
            #expect(try await keys.currentKey().kid == second.kid)
            #expect(try await keys.verificationKeys(tokenLifetimeSeconds: 900).map(\.kid) == [first.kid, second.kid])
            #expect(try await keys.verificationKeys(tokenLifetimeSeconds: 0).map(\.kid) == [second.kid])
            try await store.publishKeys()
            try await store.publishKeys()
            let published = try await Self.log(pool).filter { $0.type.hasPrefix("SigningKey") }.map(\.type)
            #expect(published == ["SigningKeyPublished", "SigningKeyRetired", "SigningKeyPublished"])
            // The rotation's audit entry waits in the outbox (it was recorded in the rotation's
            // transaction) until the writer's node logs it.
            #expect(try await store.logPending(seal: { $0 }) == 1)
            let audit = try await store.auditRecords(after: 0, limit: 10)
            #expect(audit.map(\.action) == ["keys.rotate"] && audit[0].detail == "retired \(first.kid)")
            #expect(try await store.outbox(limit: 10).isEmpty)
        }
    }
}
