import Foundation
import RemitAuth
import RemitPostgres
import RemitTestSupport
import Testing
@testable import RemitStorage

@Suite("users, refresh tokens, signing keys and the audit log")
struct IdentityStoreTests {
    static let cli = AuditContext(actor: "tester", source: "cli")
    static let hash = Passwords.hash("correct horse battery", cost: 4)

    private func migrated(_ body: (PostgresPool) async throws -> Void) async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            try await body(pool)
        }
    }

    static func name(_ text: String) -> UserName { UserName(rawValue: text)! }

    @Test("the first admin is made once, with every role")
    func bootstrap() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            #expect(try await store.bootstrapAdmin(name: Self.name("admin"), passwordHash: Self.hash))
            #expect(try await !store.bootstrapAdmin(name: Self.name("admin"), passwordHash: Self.hash))
            let users = try await store.users()
            #expect(users.map(\.name.rawValue) == ["admin"])
            #expect(users[0].roles == Set(Role.allCases))
            let credentials = try await store.credentials(Self.name("admin"))
            #expect(credentials?.passwordHash == Self.hash)
            #expect(try await store.credentials(Self.name("nobody")) == nil)
        }
    }

    @Test("user changes are audited, refusals too; the last admin can not be disabled")
    func userChanges() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.bootstrapAdmin(name: Self.name("admin"), passwordHash: Self.hash)
            let clerk = try await store.addUser(name: Self.name("carol"), roles: [.clerk], passwordHash: Self.hash, by: Self.cli)
            #expect(clerk.roles == [.clerk] && !clerk.disabled)
            await #expect(throws: IdentityError.userExists("carol")) {
                try await store.addUser(name: Self.name("carol"), roles: [.auditor], passwordHash: Self.hash, by: Self.cli)
            }
            await #expect(throws: IdentityError.lastAdmin("admin")) { try await store.setDisabled(Self.name("admin"), true, by: Self.cli) }
            await #expect(throws: IdentityError.userNotFound("dave")) { try await store.setDisabled(Self.name("dave"), true, by: Self.cli) }
            #expect(try await store.setDisabled(Self.name("carol"), true, by: Self.cli).disabled)
            let audit = try await store.auditRecords(after: 0, limit: 100)
            #expect(audit.map { "\($0.action) \($0.target) \($0.outcome.rawValue)" } == [
                "user.bootstrap admin succeeded", "user.add carol succeeded", "user.add carol refused",
                "user.disable admin refused", "user.disable dave refused", "user.disable carol succeeded",
            ])
            #expect(audit[1].actor == "tester" && audit[1].source == "cli" && audit[1].region == "east" && audit[1].detail == "roles: clerk")
            #expect(!audit.contains { $0.detail.contains("$2") }, "no hash in the audit log")
        }
    }

    @Test("the audit log and users keep their rows")
    func appendOnly() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.bootstrapAdmin(name: Self.name("admin"), passwordHash: Self.hash)
            for sql in ["UPDATE audit_log SET outcome = 'failed'", "DELETE FROM audit_log", "TRUNCATE audit_log", "DELETE FROM users"] {
                await #expect(throws: PostgresError.self, "\(sql) must be refused") {
                    try await pool.withConnection { try $0.query(sql) }
                }
            }
        }
    }

    @Test("a refresh token rotates once; using it again revokes its whole sign-in")
    func refreshRotation() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.bootstrapAdmin(name: Self.name("admin"), passwordHash: Self.hash)
            let first = RefreshToken.generate(), second = RefreshToken.generate(), third = RefreshToken.generate()
            let later = Date().addingTimeInterval(3600)
            try await store.storeRefreshToken(hash: first.hash, family: UUID(), user: Self.name("admin"), expiresAt: later)
            guard case .rotated(let user) = try await store.redeemRefreshToken(hash: first.hash, successor: second.hash, expiresAt: later) else {
                Issue.record("the first use rotates"); return
            }
            #expect(user.name.rawValue == "admin")
            // The first token again: a copy is in someone else's hands.
            #expect(try await store.redeemRefreshToken(hash: first.hash, successor: third.hash, expiresAt: later) == .reused(user: "admin"))
            // Its successor died with the family.
            #expect(try await store.redeemRefreshToken(hash: second.hash, successor: third.hash, expiresAt: later) == .invalid)
            #expect(try await store.redeemRefreshToken(hash: RefreshToken.generate().hash, successor: third.hash, expiresAt: later) == .invalid)
            let audit = try await store.auditRecords(after: 0, limit: 100)
            #expect(audit.last?.action == "token.reuse" && audit.last?.outcome == .refused)
        }
    }

    @Test("expired, logged-out and disabled users' refresh tokens are refused")
    func refreshRefusals() async throws {
        try await migrated { pool in
            let store = IdentityStore(pool: pool, region: "east")
            _ = try await store.bootstrapAdmin(name: Self.name("admin"), passwordHash: Self.hash)
            _ = try await store.addUser(name: Self.name("carol"), roles: [.clerk], passwordHash: Self.hash, by: Self.cli)
            let later = Date().addingTimeInterval(3600)
            let expired = RefreshToken.generate(), out = RefreshToken.generate(), disabled = RefreshToken.generate(), next = RefreshToken.generate()
            try await store.storeRefreshToken(hash: expired.hash, family: UUID(), user: Self.name("carol"), expiresAt: Date().addingTimeInterval(-1))
            try await store.storeRefreshToken(hash: out.hash, family: UUID(), user: Self.name("carol"), expiresAt: later)
            try await store.storeRefreshToken(hash: disabled.hash, family: UUID(), user: Self.name("carol"), expiresAt: later)
            #expect(try await store.redeemRefreshToken(hash: expired.hash, successor: next.hash, expiresAt: later) == .invalid)
            #expect(try await store.revokeFamily(ofToken: out.hash))
            #expect(try await store.redeemRefreshToken(hash: out.hash, successor: next.hash, expiresAt: later) == .invalid)
            #expect(try await !store.revokeFamily(ofToken: RefreshToken.generate().hash))
            _ = try await store.setDisabled(Self.name("carol"), true, by: Self.cli)
            #expect(try await store.redeemRefreshToken(hash: disabled.hash, successor: next.hash, expiresAt: later) == .invalid)
        }
    }

    @Test("a region makes its signing key once; rotation retires it but it keeps verifying")
    func signingKeys() async throws {
        try await migrated { pool in
            let keys = SigningKeyStore(pool: pool, region: "east")
            let first = try await keys.currentKey()
            #expect(try await keys.currentKey().kid == first.kid)
            #expect(first.privateKey != nil)
            let (retired, second) = try await keys.rotate(by: Self.cli)
            #expect(retired == first.kid && second.kid != first.kid)
            #expect(try await keys.currentKey().kid == second.kid)
            #expect(try await keys.verificationKeys(tokenLifetimeSeconds: 900).map(\.kid) == [first.kid, second.kid])
            #expect(try await keys.verificationKeys(tokenLifetimeSeconds: 0).map(\.kid) == [second.kid])
            // Another region's key shows up among the verification keys, without its private half.
            let west = try await SigningKeyStore(pool: pool, region: "west").currentKey()
            let published = try await keys.verificationKeys(tokenLifetimeSeconds: 900)
            #expect(published.map(\.kid).contains(west.kid) && published.allSatisfy { $0.privateKey == nil })
            let audit = try await IdentityStore(pool: pool, region: "east").auditRecords(after: 0, limit: 10)
            #expect(audit.map(\.action) == ["keys.rotate"] && audit[0].detail == "retired \(first.kid)")
        }
    }
}
