import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RemitWire
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage
import RemitTestSupport
import Testing
@testable import RemitHTTP

/// A migrated database claimed by east as the writer, its users made (see `TestNode.addUsers`),
/// and a node on it whose client sends no token of its own.
func withAuthNode(
    auth: AuthConfiguration = AuthConfiguration(), logs: LogCapture = LogCapture(),
    _ body: @escaping @Sendable (any TestClientProtocol, TestNode, PostgresPool) async throws -> Void
) async throws {
    let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
    try await withFreshPool { pool, _ in
        try await Migrator(pool: pool).apply(migrations)
        _ = try await RegionStore(pool: pool).claim(TestNode.east, initialRole: .writer)
        let node = try TestNode(pool: pool, auth: auth, logger: logs.logger("test.node"))
        try await node.addUsers()
        try await node.test(authenticated: false) { client in try await body(client, node, pool) }
    }
}

func signIn(_ client: any TestClientProtocol, _ user: String, _ password: String = TestNode.password) async throws -> TestResponse {
    try await client.execute(
        uri: "/api/v1/auth/token", method: .post, headers: jsonHeaders(),
        body: ByteBuffer(string: #"{"username":"\#(user)","password":"\#(password)"}"#)
    )
}

func tokens(_ response: TestResponse) throws -> TokenBody { try decode(TokenBody.self, response) }

func bearer(_ token: String, _ extra: [String: String] = [:]) -> HTTPFields {
    var fields = jsonHeaders(extra)
    fields[.authorization] = "Bearer \(token)"
    return fields
}

@Suite("sign-in, tokens and who may do what")
struct AuthTests {
    @Test("sign-in succeeds with the right password; a wrong one, an unknown or a disabled user get the same 401")
    func signInOutcomes() async throws {
        try await withAuthNode { client, node, _ in
            let good = try await signIn(client, "clerk")
            #expect(good.status == .ok)
            let body = try tokens(good)
            #expect(body.roles == ["clerk"] && body.tokenType == "Bearer" && body.expiresIn == 900)
            // A refresh token is signed for another audience: it is no access token.
            let misused = try await client.execute(uri: "/api/v1/remittances", method: .get, headers: bearer(body.refreshToken))
            #expect(misused.status == .unauthorized)
            let listed = try await client.execute(uri: "/api/v1/remittances", method: .get, headers: bearer(body.accessToken))
            #expect(listed.status == .ok)

            _ = try await node.identity.store.setDisabled(UserName(rawValue: "auditor")!, true, by: AuditContext(actor: "t", source: "cli"))
            var refusals: [Problem] = []
            for (user, password) in [("clerk", "wrong-password-123"), ("ghost", TestNode.password), ("auditor", TestNode.password), ("Not A Name", "x")] {
                let response = try await signIn(client, user, password)
                #expect(response.status == .unauthorized, "\(user)")
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="remit""#)
                refusals.append(try decode(Problem.self, response))
            }
            #expect(Set(refusals.map(\.type)) == ["urn:remit:problem:invalid-credentials"])
            #expect(Set(refusals.map { $0.detail ?? "" }).count == 1, "the answer does not tell which part was wrong")
        }
    }

    @Test("a name is locked after repeated failures, the same way whether or not it exists")
    func lockout() async throws {
        var auth = AuthConfiguration()
        auth.signInFailuresMax = 3
        try await withAuthNode(auth: auth) { client, node, _ in
            var locked: [Problem] = []
            for user in ["clerk", "ghost"] {
                for _ in 0..<3 { #expect(try await signIn(client, user, "wrong-password-123").status == .unauthorized) }
                // Now even the right password is refused until the lock ends.
                let response = try await signIn(client, user)
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 299)
                locked.append(try decode(Problem.self, response))
            }
            #expect(locked[0].type == "urn:remit:problem:sign-in-locked" && locked[0].type == locked[1].type)
            #expect(locked[0].detail?.replacingOccurrences(of: #"\d+ s"#, with: "", options: .regularExpression)
                == locked[1].detail?.replacingOccurrences(of: #"\d+ s"#, with: "", options: .regularExpression))
            #expect(try await signIn(client, "operator").status == .ok, "other names are not affected")
            let audit = try await node.identity.store.auditRecords(after: 0, limit: 100).filter { $0.action == "signin.lock" }
            #expect(audit.map(\.target) == ["clerk", "ghost"])
        }
    }

    @Test("sign-in attempts are limited per client address")
    func addressLimit() async throws {
        var auth = AuthConfiguration()
        auth.signInBurstPerAddress = 3
        auth.signInAttemptsPerSecondPerAddress = 0.01
        try await withAuthNode(auth: auth) { client, _, _ in
            for _ in 0..<3 { #expect(try await signIn(client, "ghost", "wrong-password-123").status == .unauthorized) }
            let limited = try await signIn(client, "clerk")
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil)
            #expect(try decode(Problem.self, limited).type == "urn:remit:problem:rate-limited")
        }
    }

    @Test("refresh tokens rotate; a reused one revokes the sign-in; logout revokes it too")
    func refreshAndLogout() async throws {
        try await withAuthNode { client, _, _ in
            func refresh(_ token: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/auth/refresh", method: .post, headers: jsonHeaders(),
                                         body: ByteBuffer(string: #"{"refreshToken":"\#(token)"}"#))
            }
            let first = try tokens(try await signIn(client, "clerk"))
            let second = try await refresh(first.refreshToken)
            #expect(second.status == .ok)
            let rotated = try tokens(second)
            #expect(rotated.refreshToken != first.refreshToken && rotated.roles == ["clerk"])
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(rotated.accessToken)).status == .ok)

            let reused = try await refresh(first.refreshToken)
            #expect(reused.status == .unauthorized)
            #expect(try decode(Problem.self, reused).type == "urn:remit:problem:refresh-token-reused")
            #expect(try await refresh(rotated.refreshToken).status == .unauthorized, "the whole sign-in is revoked")

            let other = try tokens(try await signIn(client, "clerk"))
            let logout = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: jsonHeaders(),
                                                  body: ByteBuffer(string: #"{"refreshToken":"\#(other.refreshToken)"}"#))
            #expect(logout.status == .noContent)
            let afterLogout = try await refresh(other.refreshToken)
            #expect(try decode(Problem.self, afterLogout).type == "urn:remit:problem:invalid-refresh-token")
            #expect(try await refresh("rt_nonsense").status == .unauthorized)
        }
    }

    @Test("missing, malformed, expired, tampered, unknown-kid and alg-none tokens get 401 with a challenge")
    func tokenRejections() async throws {
        try await withAuthNode { client, node, pool in
            let missing = try await client.execute(uri: "/api/v1/dashboard", method: .get)
            #expect(missing.status == .unauthorized && missing.headers[.wwwAuthenticate] == #"Bearer realm="remit""#)
            let basic = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
            #expect(basic.status == .unauthorized && basic.headers[.wwwAuthenticate]?.contains(#"error="invalid_request""#) == true)

            let key = try await SigningKeyStore(pool: pool, region: "east").currentKey()
            let expired = try await TokenIssuer(key: key, issuer: "urn:remit", audience: "remit-api", lifetimeSeconds: 60)
                .issue(subject: "clerk", roles: [.clerk], now: Date().addingTimeInterval(-3600)).token
            let valid = try await node.token([.clerk])
            var parts = valid.split(separator: ".").map(String.init)
            parts[1] = Base64URL.encode(Array(#"{"iss":"urn:remit","aud":"remit-api","sub":"tester","exp":4102444800,"roles":["admin"]}"#.utf8))
            let tampered = parts.joined(separator: ".")
            let header = { (json: String) in Base64URL.encode(Array(json.utf8)) }
            let unknownKid = header(#"{"alg":"ES256","kid":"nope"}"#) + "." + parts[1] + "." + valid.split(separator: ".")[2]
            let none = header(#"{"alg":"none"}"#) + "." + parts[1] + "."
            let hs256Body = header(#"{"alg":"HS256","kid":"\#(key.kid)"}"#) + "." + parts[1]
            let hs256 = hs256Body + "." + Base64URL.encode(HMAC<SHA256>.authenticationCode(
                for: Array(hs256Body.utf8), using: SymmetricKey(data: Array(key.publicKey.pemRepresentation.utf8))
            ))
            for (name, token, reason) in [
                ("expired", expired, "expired"), ("tampered", tampered, "signature"), ("unknown kid", unknownKid, "kid"),
                ("alg none", none, "algorithm"), ("HS256 with the public key", hs256, "algorithm"), ("garbage", "abc", "compact"),
            ] {
                let response = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(token))
                #expect(response.status == .unauthorized, "\(name)")
                let challenge = response.headers[.wwwAuthenticate] ?? ""
                #expect(challenge.contains(#"error="invalid_token""#) && challenge.contains(reason), "\(name): \(challenge)")
            }
        }
    }

    /// Every route with a token of each single role: 403 exactly when the route does not admit
    /// the role, never 401; without a token, 401 on every guarded route.
    @Test("the role matrix: every route × every role")
    func roleMatrix() async throws {
        try await withAuthNode { client, node, pool in
            let before = try await ledgerCount(pool)
            let routes = node.recorder.routes
            #expect(routes.count >= 20)
            for route in routes {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let method = HTTPRequest.Method(rawValue: parts[0])!
                let uri = parts[1].replacingOccurrences(of: "{id}", with: APITests.unknownID).replacingOccurrences(of: "{name}", with: "nobody")
                let body: ByteBuffer? = method == .get ? nil : ByteBuffer(string: "{}")
                let access = try #require(node.recorder.access[route])
                let anonymous = try await client.execute(uri: uri, method: method, headers: jsonHeaders(), body: body)
                guard case .roles(let admitted) = access else {
                    #expect(anonymous.status != .unauthorized && anonymous.status != .forbidden, "\(route) is public")
                    continue
                }
                #expect(anonymous.status == .unauthorized, "\(route) without a token")
                for role in Role.allCases {
                    let token = try await node.token([role], subject: role.rawValue)
                    let response = try await client.execute(uri: uri, method: method, headers: bearer(token, ["If-Match": "\"1\""]), body: body)
                    if admitted.contains(role) {
                        #expect(response.status != .forbidden && response.status != .unauthorized, "\(route) as \(role): \(response.status)")
                    } else {
                        #expect(response.status == .forbidden, "\(route) as \(role): \(response.status)")
                        #expect(response.headers[.contentType] == Problem.contentType)
                    }
                }
            }
            #expect(try await ledgerCount(pool) == before, "no refused or empty request wrote to the log but its audit entry")
        }
    }

    @Test("an external provider's tokens are accepted with their roles; a wrong issuer or audience is not")
    func externalProvider() async throws {
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"bank-1","alg":"ES256","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}]}"#
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
        try Data(jwks.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var auth = AuthConfiguration()
        auth.externalProviders = [ExternalProvider(issuer: "https://idp.bank.example", audience: "remit", rolesClaim: "groups", jwks: path)]
        try await withAuthNode(auth: auth) { client, node, pool in
            await node.identity.reloadExternalProviders()
            func token(iss: String = "https://idp.bank.example", aud: String = "remit", groups: [String]) throws -> String {
                let now = Int(Date().timeIntervalSince1970)
                let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"bank-1"}"#.utf8))
                let claims = try JSONSerialization.data(withJSONObject: ["iss": iss, "aud": aud, "sub": "e-42", "exp": now + 300, "groups": groups])
                let input = header + "." + Base64URL.encode(claims)
                return input + "." + Base64URL.encode(try key.signature(for: Array(input.utf8)).rawRepresentation)
            }
            let clerk = try token(groups: ["clerk", "staff"])
            let created = try await client.execute(uri: "/api/v1/remittances", method: .post, headers: bearer(clerk), body: ByteBuffer(string: createBody))
            #expect(created.status == .created)
            let events = try await LedgerReader(pool: pool).events(after: 0, limit: 10)
            let metadata = try JSONDecoder().decode(EventMetadata.self, from: Data(try #require(events.last).metadata))
            #expect(metadata.actor == "e-42@https://idp.bank.example", "an external subject never passes for a local user")
            let auditor = try token(groups: ["auditor"])
            #expect(try await client.execute(uri: "/api/v1/ledger/events", method: .get, headers: bearer(auditor)).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/remittances", method: .post, headers: bearer(auditor), body: ByteBuffer(string: createBody)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(try token(iss: "https://evil.example", groups: ["clerk"]))).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(try token(aud: "other", groups: ["clerk"]))).status == .unauthorized)
        }
    }

    @Test("one principal is rate limited with 429 and Retry-After, others are not (the refill is TokenBucketTests')")
    func principalRateLimit() async throws {
        var auth = AuthConfiguration()
        // One token an hour: however long a busy machine stalls between the requests, the
        // bucket does not refill during the test.
        auth.requestsPerSecondPerPrincipal = 1.0 / 3_600
        auth.burstPerPrincipal = 3
        try await withAuthNode(auth: auth) { client, node, _ in
            let busy = try await node.token([.clerk], subject: "busy"), calm = try await node.token([.clerk], subject: "calm")
            for _ in 0..<3 { #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(busy)).status == .ok) }
            let limited = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(busy))
            #expect(limited.status == .tooManyRequests && Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(calm)).status == .ok)
        }
    }

    @Test("a batch of creates counts as one request per item against the principal's rate; refused, it writes nothing")
    func batchChargesItsItems() async throws {
        var auth = AuthConfiguration()
        auth.requestsPerSecondPerPrincipal = 1.0 / 3_600
        auth.burstPerPrincipal = 11
        try await withAuthNode(auth: auth) { client, node, _ in
            let clerk = try await node.token([.clerk], subject: "payroll")
            var headers = bearer(clerk)
            headers[.contentType] = "application/json"
            func batch(_ indexes: Range<Int>) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/remittance-batches", method: .post, headers: headers,
                    body: batchBody(indexes.map { ("rate-\($0)", remittanceJSON($0)) })
                )
            }
            #expect(try await batch(0..<8).status == .ok, "8 of the 11 tokens")
            let limited = try await batch(8..<12)
            #expect(limited.status == .tooManyRequests && Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1, "4 asked, 3 left")
            // Refused, it cost one token (it was a request), not four: 2 are left. Its first
            // item's key, sent alone, is created now (201): the refused batch wrote nothing.
            var single = headers
            single[HTTPField.Name("Idempotency-Key")!] = "rate-8"
            let alone = try await client.execute(uri: "/api/v1/remittances", method: .post, headers: single, body: ByteBuffer(string: remittanceJSON(8)))
            #expect(alone.status == .created)
            #expect(try await batch(20..<21).status == .ok, "a batch of one costs one")
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(clerk)).status == .tooManyRequests)
        }
    }

    @Test("admins manage users through the API; nothing answers with a password or hash; changes are audited")
    func userAdministration() async throws {
        try await withAuthNode { client, node, _ in
            let admin = try tokens(try await signIn(client, "admin")).accessToken
            let added = try await client.execute(
                uri: "/api/v1/users", method: .post, headers: bearer(admin),
                body: ByteBuffer(string: #"{"name":"dora","roles":["clerk","auditor"],"password":"dora-password-1"}"#)
            )
            #expect(added.status == .created && added.headers[.location] == "/api/v1/users/dora")
            #expect(try await signIn(client, "dora", "dora-password-1").status == .ok)
            let again = try await client.execute(
                uri: "/api/v1/users", method: .post, headers: bearer(admin),
                body: ByteBuffer(string: #"{"name":"dora","roles":["clerk"],"password":"dora-password-1"}"#)
            )
            #expect(again.status == .conflict)
            for bad in [#"{"name":"Dora","roles":["clerk"],"password":"dora-password-1"}"#, #"{"name":"eve","roles":["root"],"password":"dora-password-1"}"#,
                        #"{"name":"eve","roles":[],"password":"dora-password-1"}"#, #"{"name":"eve","roles":["clerk"],"password":"short"}"#,
                        #"{"name":"eve","roles":["clerk"],"password":"dora-password-1","admin":true}"#] {
                let response = try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(admin), body: ByteBuffer(string: bad))
                #expect(response.status == .unprocessableContent, "\(bad)")
            }
            let disabled = try await client.execute(uri: "/api/v1/users/dora/disable", method: .post, headers: bearer(admin))
            #expect(disabled.status == .ok)
            #expect(try await signIn(client, "dora", "dora-password-1").status == .unauthorized)
            let list = try await client.execute(uri: "/api/v1/users", method: .get, headers: bearer(admin))
            let text = String(buffer: list.body) + String(buffer: added.body)
            #expect(!text.contains("$2") && !text.contains("password"))
            #expect(try decode(UserListBody.self, list).items.map(\.name).contains("dora"))
            let clerk = try await node.token([.clerk])
            #expect(try await client.execute(uri: "/api/v1/users", method: .get, headers: bearer(clerk)).status == .forbidden)
            let audit = try decode(AuditPageBody.self, try await client.execute(uri: "/api/v1/audit?limit=500", method: .get, headers: bearer(admin)))
            let actions = audit.items.filter { $0.actor == "admin" }.map { "\($0.action) \($0.target) \($0.outcome.rawValue)" }
            #expect(actions == ["user.add dora succeeded", "user.add dora refused", "user.disable dora succeeded"])
            #expect(try await node.identity.store.users().first { $0.name.rawValue == "eve" } == nil, "refused bodies created nobody")
        }
    }

    @Test("oversize and malformed bodies and headers are refused before anything happens")
    func guardLimits() async throws {
        try await withAuthNode { client, node, pool in
            let big = try await client.execute(uri: "/api/v1/auth/token", method: .post, headers: jsonHeaders(),
                                               body: ByteBuffer(string: #"{"username":"clerk","password":""# + String(repeating: "x", count: 5_000) + #""}"#))
            #expect(big.status == .contentTooLarge)
            for malformed in [#"{"username":"clerk","username":"admin","password":"x"}"#, #"{"username":"clerk","#, #"{"username":1,"password":"x"}"#] {
                let response = try await client.execute(uri: "/api/v1/auth/token", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: malformed))
                #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(malformed)")
            }
            let clerk = try await node.token([.clerk])
            let before = try await logCount(pool)
            let oversize = try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: bearer(clerk),
                body: ByteBuffer(string: createBody.replacingOccurrences(of: "rent", with: String(repeating: "r", count: 20_000)))
            )
            #expect(oversize.status == .contentTooLarge)
            #expect(try await logCount(pool) == before)
            var many = bearer(clerk)
            for index in 0..<80 { many[HTTPField.Name("X-Filler-\(index)")!] = "x" }
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: many).status == .requestHeaderFieldsTooLarge)
            var huge = bearer(clerk)
            huge[HTTPField.Name("X-Filler")!] = String(repeating: "x", count: 20_000)
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: huge).status == .requestHeaderFieldsTooLarge)
            // CORS is off by default: no origin is let in.
            let crossOrigin = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(clerk, ["Origin": "https://evil.example"]))
            #expect(crossOrigin.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("CORS answers listed origins only")
    func corsAllowList() async throws {
        var auth = AuthConfiguration()
        auth.corsAllowedOrigins = ["https://ops.bank.example"]
        try await withAuthNode(auth: auth) { client, node, _ in
            let preflight = try await client.execute(
                uri: "/api/v1/remittances", method: .options,
                headers: [.origin: "https://ops.bank.example", .accessControlRequestMethod: "POST"]
            )
            #expect(preflight.status == .noContent && preflight.headers[.accessControlAllowOrigin] == "https://ops.bank.example")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            let clerk = try await node.token([.clerk])
            let allowed = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(clerk, ["Origin": "https://ops.bank.example"]))
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://ops.bank.example" && allowed.headers[.vary] == "Origin")
            let other = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(clerk, ["Origin": "https://evil.example"]))
            #expect(other.status == .ok && other.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("an idempotency key is its principal's: another user's same key is a new create, never the first user's remittance")
    func keysArePerPrincipal() async throws {
        try await withAuthNode { client, node, pool in
            let admin = try await node.token(Set(Role.allCases)), clerk = try await node.token([.clerk], subject: "clerk")
            func create(_ token: String, _ body: String = createBody) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/remittances", method: .post, headers: bearer(token, ["Idempotency-Key": "pay-7"]), body: ByteBuffer(string: body)
                )
            }
            let admins = try await create(admin)
            #expect(admins.status == .created)
            let clerks = try await create(clerk)
            #expect(clerks.status == .created, "the same key and body from another user is that user's own create")
            let adminsID = try decode(RemittanceBody.self, admins).id
            #expect(try decode(RemittanceBody.self, clerks).id != adminsID)
            let otherBody = createBody.replacingOccurrences(of: "12345", with: "999")
            #expect(try await create(clerk, otherBody).status == .unprocessableContent, "the clerk's own key with another body is refused")
            let repeated = try await create(admin)
            #expect(try repeated.status == .ok && decode(RemittanceBody.self, repeated).id == adminsID)
            let scopes: [String] = try await pool.withConnection {
                try $0.query("SELECT idempotency_scope FROM events WHERE idempotency_key = 'pay-7' ORDER BY position").map { try $0.decode(0) }
            }
            #expect(scopes == ["tester", "clerk"])
        }
    }

    @Test("a region trusts its peer's published keys: a token from east works at west")
    func peerRegionTokens() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { eastPool, _ in
            try await withFreshPool { westPool, _ in
                for pool in [eastPool, westPool] { try await Migrator(pool: pool).apply(migrations) }
                let east = try TestNode(pool: eastPool)
                try await east.identity.reloadSigningKeys()
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString).json").path
                try RemitJSON.encoder().encode(east.identity.jwks).write(to: URL(fileURLWithPath: path))
                defer { try? FileManager.default.removeItem(atPath: path) }
                var auth = AuthConfiguration()
                auth.peerJWKS = [path]
                let west = try TestNode(pool: westPool, region: RegionName(rawValue: "west")!, role: .reader, auth: auth)
                let token = try await east.token([.auditor])
                try await west.test(authenticated: false) { client in
                    let response = try await client.execute(uri: "/api/v1/ledger/events", method: .get, headers: bearer(token))
                    #expect(response.status == .ok)
                    let jwks = try decode(JWKSDocument.self, try await client.execute(uri: "/.well-known/jwks.json", method: .get))
                    #expect(jwks.keys.count == 2, "west publishes its own key and east's")
                }
            }
        }
    }

    @Test("the JWKS publishes the region's public key, and never a private part")
    func jwks() async throws {
        try await withAuthNode { client, _, pool in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .ok && response.headers[.contentType] == "application/jwk-set+json")
            let document = try decode(JWKSDocument.self, response)
            let key = try await SigningKeyStore(pool: pool, region: "east").currentKey()
            #expect(document.keys.map(\.kid) == [key.kid])
            #expect(!String(buffer: response.body).contains(#""d""#))
        }
    }

    @Test("a log capture of sign-ins, refreshes, user changes and refusals holds no password, token, hash or key")
    func logsHoldNoSecrets() async throws {
        let logs = LogCapture()
        nonisolated(unsafe) var secrets: [String] = [TestNode.password, "dora-password-1", "wrong-password-123", TestNode.passwordHash]
        try await withAuthNode(logs: logs) { client, node, pool in
            let signedIn = try tokens(try await signIn(client, "admin"))
            _ = try await signIn(client, "admin", "wrong-password-123")
            let refreshed = try tokens(try await client.execute(uri: "/api/v1/auth/refresh", method: .post, headers: jsonHeaders(),
                                                                body: ByteBuffer(string: #"{"refreshToken":"\#(signedIn.refreshToken)"}"#)))
            _ = try await client.execute(uri: "/api/v1/auth/refresh", method: .post, headers: jsonHeaders(),
                                         body: ByteBuffer(string: #"{"refreshToken":"\#(signedIn.refreshToken)"}"#))
            _ = try await client.execute(uri: "/api/v1/users", method: .post, headers: bearer(refreshed.accessToken),
                                         body: ByteBuffer(string: #"{"name":"dora","roles":["clerk"],"password":"dora-password-1"}"#))
            _ = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: bearer(signedIn.accessToken + "x"))
            let key = try await SigningKeyStore(pool: pool, region: "east").currentKey()
            secrets += [signedIn.accessToken, signedIn.refreshToken, refreshed.accessToken, refreshed.refreshToken, key.privateKeyPEM!]
            secrets += try await pool.withConnection { connection in
                try connection.query("SELECT password_hash FROM users").map { try $0.decode(0, as: String.self) }
            }
            _ = node
        }
        let text = logs.text
        #expect(text.contains("signed in") && text.contains("sign-in refused"), "the capture saw the node's logs")
        for secret in secrets {
            // Long secrets are searched for by a slice too, in case a log line cut them short.
            let probe = secret.count > 40 ? String(secret.prefix(40).suffix(30)) : secret
            #expect(!text.contains(probe), "a secret appears in the logs")
        }
        #expect(!text.contains("BEGIN PRIVATE KEY") && !text.contains("$2b$") && !text.contains("Bearer "))
    }
}
