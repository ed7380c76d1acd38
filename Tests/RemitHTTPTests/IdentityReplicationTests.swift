import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitTestSupport
import RemitWire
import Testing
@testable import RemitHTTP

/// One HTTP exchange with a node, the body as text.
private func call(_ base: String, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> (status: UInt, body: String) {
    var request = HTTPClientRequest(url: base + path)
    request.method = method
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
}

private func signIn(_ base: String, _ user: String, _ password: String) async throws -> (status: UInt, tokens: TokenBody?) {
    let answer = try await call(base, .POST, "/api/v1/auth/token", body: #"{"username":"\#(user)","password":"\#(password)"}"#)
    return (answer.status, answer.status == 200 ? try RemitJSON.decoder().decode(TokenBody.self, from: Data(answer.body.utf8)) : nil)
}

private func refresh(_ base: String, _ token: String) async throws -> (status: UInt, tokens: TokenBody?, body: String) {
    let answer = try await call(base, .POST, "/api/v1/auth/refresh", body: #"{"refreshToken":"\#(token)"}"#)
    return (answer.status, answer.status == 200 ? try RemitJSON.decoder().decode(TokenBody.self, from: Data(answer.body.utf8)) : nil, answer.body)
}

/// Waits until `condition` holds, for at most `seconds`.
private func eventually(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}

@Suite("identity and the audit trail replicate: one writer, every region signs in from its copy")
struct IdentityReplicationTests {
    @Test("a user made at the writer signs in at the reader; a disable or a new password reaches it; a reader refuses identity writes; refresh tokens are redeemed at the writer only; the audit trails agree")
    func identityReachesTheReader() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool(connectionsMax: 8) { writer, _ in
            try await withFreshPool(connectionsMax: 8, west: true) { reader, _ in
                for pool in [writer, reader] { try await Migrator(pool: pool).apply(migrations) }
                _ = try await IdentityStore(pool: writer, region: "east").bootstrapAdmin(name: UserName(rawValue: "tester")!, passwordSeal: TestNode.passwordHash)
                let key = ReplicationTests.key
                try await withRunningNode(pool: writer, region: "east", role: .writer, replication: ReplicationConfiguration(key: key, pullingRegions: ["west"])) { east in
                    try await withRunningNode(pool: reader, region: "west", role: .reader, replication: ReplicationConfiguration(key: key, source: east)) { west in
                        let admin = try await ReplicationTests.signIn(east)
                        let password = "carol-password-1"
                        #expect(try await call(east, .POST, "/api/v1/users", token: admin, body: #"{"name":"carol","roles":["clerk"],"password":"\#(password)"}"#).status == 201)
                        try await ReplicationTests.waitUntilCaughtUp(writer, reader)
                        // The log carries the password only sealed.
                        let payloads = try await LedgerReader(pool: writer).events(after: 0, limit: 100).map { String(decoding: $0.payload, as: UTF8.self) }
                        #expect(!payloads.contains { $0.contains("$2") })

                        // Sign-in at the reader, from its copy; the writer's token works there (its key is in the log).
                        #expect(try await signIn(west, "carol", password).status == 200)
                        let refused = try await call(west, .POST, "/api/v1/users", token: admin, body: #"{"name":"dora","roles":["clerk"],"password":"dora-password-12"}"#)
                        #expect(refused.status == 409 && refused.body.contains("not-writer"))
                        #expect(try await IdentityStore(pool: reader, region: "west").users().map(\.name.rawValue) == ["carol", "tester"])

                        // A refresh token from the writer: the reader sends it on (409), the writer rotates it.
                        let first = try #require(try await signIn(east, "carol", password).tokens)
                        let atReader = try await refresh(west, first.refreshToken)
                        #expect(atReader.status == 409 && atReader.body.contains("not-writer"))
                        let second = try #require(try await refresh(east, first.refreshToken).tokens)
                        // The first one again: reuse; the whole family is revoked, its successor too.
                        #expect(try await refresh(east, first.refreshToken).body.contains("refresh-token-reused"))
                        #expect(try await refresh(east, second.refreshToken).status == 401)

                        // A new password and a disable reach the reader, and refuse the old refresh tokens.
                        let third = try #require(try await signIn(east, "carol", password).tokens)
                        let newPassword = "carol-password-2"
                        _ = try await IdentityStore(pool: writer, region: "east").setPassword(
                            UserName(rawValue: "carol")!, passwordSeal: Passwords.hash(newPassword, cost: 4), by: AuditContext(actor: "t", source: "cli")
                        )
                        try await ReplicationTests.waitUntilCaughtUp(writer, reader)
                        #expect(try await signIn(west, "carol", password).status == 401)
                        #expect(try await signIn(west, "carol", newPassword).status == 200)
                        #expect(try await refresh(east, third.refreshToken).status == 401)
                        #expect(try await call(east, .POST, "/api/v1/users/carol/disable", token: admin).status == 200)
                        try await ReplicationTests.waitUntilCaughtUp(writer, reader)
                        #expect(try await signIn(west, "carol", newPassword).status == 401)

                        // An entry recorded at the reader goes to the writer and comes back in the log.
                        try await IdentityStore(pool: reader, region: "west").audit(
                            "test.at-reader", target: "west", context: AuditContext(actor: "t", source: "cli"), outcome: .succeeded
                        )
                        let readerStore = IdentityStore(pool: reader, region: "west"), writerStore = IdentityStore(pool: writer, region: "east")
                        #expect(try await eventually { try await readerStore.outbox(limit: 10).isEmpty })
                        try await ReplicationTests.waitUntilCaughtUp(writer, reader)
                        let trail = try await writerStore.auditRecords(after: 0, limit: 100)
                        #expect(trail.map(\.action).contains("test.at-reader"))
                        #expect(try await readerStore.auditRecords(after: 0, limit: 100) == trail)
                    }
                }
            }
        }
    }
}
