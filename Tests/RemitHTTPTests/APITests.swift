import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RemitAuth
import RemitWire
import RemitDomain
import RemitPostgres
import RemitStorage
import RemitTestSupport
import Testing
@testable import RemitHTTP

let createBody = #"{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":12345,"currency":"USD","reference":"rent"}"#

func jsonHeaders(_ extra: [String: String] = [:]) -> HTTPFields {
    var fields: HTTPFields = [.contentType: "application/json"]
    for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
    return fields
}

/// A migrated database claimed by east as the writer, and a test node on it.
func withAPI(_ body: @escaping @Sendable (any TestClientProtocol, PostgresPool) async throws -> Void) async throws {
    let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
    try await withFreshPool { pool, _ in
        try await Migrator(pool: pool).apply(migrations)
        _ = try await RegionStore(pool: pool).claim(TestNode.east, initialRole: .writer)
        try await TestNode(pool: pool).test { client in try await body(client, pool) }
    }
}

func logCount(_ pool: PostgresPool) async throws -> Int64 {
    try await pool.withConnection { try $0.query("SELECT count(*) FROM events")[0].decode(0, as: Int64.self) }
}

/// Events other than audit entries (refusals of identity changes are audited in the log).
func ledgerCount(_ pool: PostgresPool) async throws -> Int64 {
    try await pool.withConnection {
        try $0.query("SELECT count(*) FROM events WHERE stream_id <> '00000000-0000-0000-0000-000000000002'")[0].decode(0, as: Int64.self)
    }
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try RemitJSON.decoder().decode(T.self, from: Data(buffer: response.body))
}

@Suite("ledger API")
struct APITests {
    @Test("create, read, amend, cancel: statuses, ETags, Location")
    func lifecycle() async throws {
        try await withAPI { client, pool in
            let created = try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(["Idempotency-Key": "abc"]),
                body: ByteBuffer(string: createBody)
            )
            #expect(created.status == .created)
            #expect(created.headers[.eTag] == "\"1\"")
            let remittance = try decode(RemittanceBody.self, created)
            #expect(created.headers[.location] == "/api/v1/remittances/\(remittance.id)")
            #expect(remittance.amount == 12_345 && remittance.status == .created && remittance.id == remittance.id.lowercased())

            let repeated = try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(["Idempotency-Key": "abc"]),
                body: ByteBuffer(string: createBody.replacingOccurrences(of: ",", with: ", "))
            )
            #expect(repeated.status == .ok, "the same key and body repeat the original")
            #expect(try decode(RemittanceBody.self, repeated).id == remittance.id)

            let read = try await client.execute(uri: "/api/v1/remittances/\(remittance.id)", method: .get)
            #expect(read.status == .ok && read.headers[.eTag] == "\"1\"")

            let amended = try await client.execute(
                uri: "/api/v1/remittances/\(remittance.id)", method: .patch, headers: jsonHeaders(["If-Match": "\"1\""]),
                body: ByteBuffer(string: #"{"amount": 500, "reference": ""}"#)
            )
            #expect(amended.status == .ok && amended.headers[.eTag] == "\"2\"")
            let afterAmend = try decode(RemittanceBody.self, amended)
            #expect(afterAmend.amount == 500 && afterAmend.reference == nil && afterAmend.status == .amended)

            let stale = try await client.execute(
                uri: "/api/v1/remittances/\(remittance.id)", method: .patch, headers: jsonHeaders(["If-Match": "\"1\""]),
                body: ByteBuffer(string: #"{"amount": 501}"#)
            )
            #expect(stale.status == .preconditionFailed)
            #expect(try decode(Problem.self, stale).type == "urn:remit:problem:version-mismatch")

            let cancelled = try await client.execute(
                uri: "/api/v1/remittances/\(remittance.id)/cancel", method: .post, headers: jsonHeaders(["If-Match": "\"2\""]),
                body: ByteBuffer(string: #"{"reason": "customer asked"}"#)
            )
            #expect(cancelled.status == .ok && cancelled.headers[.eTag] == "\"3\"")

            let afterCancel = try await client.execute(
                uri: "/api/v1/remittances/\(remittance.id)", method: .patch, headers: jsonHeaders(["If-Match": "\"3\""]),
                body: ByteBuffer(string: #"{"amount": 1}"#)
            )
            #expect(afterCancel.status == .conflict)
            #expect(try decode(Problem.self, afterCancel).type == "urn:remit:problem:cancelled")

            let history = try await client.execute(uri: "/api/v1/remittances/\(remittance.id)/events", method: .get)
            #expect(try decode(EventPageBody.self, history).items.map(\.type) == ["RemittanceCreated", "RemittanceAmended", "RemittanceCancelled"])
            #expect(try await logCount(pool) == 4)

            // The create's reference is nullable, as the document says: null is none.
            let noReference = try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(["Idempotency-Key": "no-reference"]),
                body: ByteBuffer(string: createBody.replacingOccurrences(of: #""rent""#, with: "null"))
            )
            #expect(noReference.status == .created)
            #expect(try decode(RemittanceBody.self, noReference).reference == nil)
        }
    }

    @Test("a remittance as of a position or a time: as the log said it was then")
    func asOf() async throws {
        try await withAPI { client, pool in
            let created = try decode(RemittanceBody.self, try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: createBody)
            ))
            let createdAt: Int64 = try await pool.withConnection {
                try $0.query("SELECT position FROM events WHERE stream_id = $1", [UUID(uuidString: created.id)!])[0].decode(0)
            }
            try await Task.sleep(for: .milliseconds(20))
            let between = Date()
            try await Task.sleep(for: .milliseconds(20))
            let amended = try await client.execute(
                uri: "/api/v1/remittances/\(created.id)", method: .patch, headers: jsonHeaders(["If-Match": "\"1\""]), body: ByteBuffer(string: #"{"amount": 500}"#)
            )
            #expect(amended.status == .ok)
            func read(_ asOf: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/remittances/\(created.id)?asOf=\(asOf)", method: .get)
            }
            let atCreate = try await read(String(createdAt))
            #expect(try atCreate.status == .ok && atCreate.headers[.eTag] == "\"1\"" && decode(RemittanceBody.self, atCreate).amount == 12_345)
            let atTime = try await read(between.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            #expect(try atTime.status == .ok && decode(RemittanceBody.self, atTime).amount == 12_345)
            let head = try await RegionStore(pool: pool).headPosition()
            let now = try await read(String(head))
            #expect(try now.status == .ok && decode(RemittanceBody.self, now).amount == 500 && now.headers[.eTag] == "\"2\"")
            #expect(try await read(String(createdAt - 1)).status == .notFound, "it did not exist yet")
            #expect(try await read("2000-01-01T00:00:00Z").status == .notFound)
            #expect(try await read(String(head + 1)).status == .conflict, "beyond this region's log")
            for bad in ["0", "-1", "abc", "2026-13-45T00:00:00Z", "1e3", "0123"] { #expect(try await read(bad).status == .badRequest, "\(bad)") }
        }
    }

    @Test("the table: conditions on any field with :, !:, = and !=, and/or, any sort stable under paging, a capped count; bad ones are 400s")
    func tableQueries() async throws {
        try await withAPI { client, _ in
            let senders = ["Ann Lee", "Bob Ray", "Cid Moe", "Dan Ann", "Eve Ash"]
            let currencies = ["EUR", "USD", "CHF", "EUR", "GBP"]
            for (index, sender) in senders.enumerated() {
                let body = createBody.replacingOccurrences(of: "12345", with: "\(500 - index * 100)")
                    .replacingOccurrences(of: "\"Alice\"", with: "\"\(sender)\"").replacingOccurrences(of: "USD", with: currencies[index])
                #expect(try await client.execute(uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)).status == .created)
            }
            for _ in 0..<50 {
                let all = try decode(PageBody.self, try await client.execute(uri: "/api/v1/remittances?limit=50", method: .get))
                if all.items.count == senders.count { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            func names(_ query: String) async throws -> [String] {
                try decode(PageBody.self, try await client.execute(uri: "/api/v1/remittances?limit=50&" + query, method: .get)).items.map(\.senderName)
            }
            #expect(try await names("filter=senderName:ann&sort=senderName&order=asc") == ["Ann Lee", "Dan Ann"], "contains, any case")
            #expect(try await names("filter=senderName!:ann&sort=senderName&order=asc") == ["Bob Ray", "Cid Moe", "Eve Ash"])
            #expect(try await names("filter=amount=300") == ["Cid Moe"])
            #expect(try await names("filter=amount!=300&filter=senderName:a&sort=amount&order=asc") == ["Eve Ash", "Dan Ann", "Bob Ray", "Ann Lee"])
            #expect(try await names("filter=senderName=Bob%20Ray&filter=amount=100&join=or&sort=amount") == ["Bob Ray", "Eve Ash"])
            // A status or a currency is matched as the list of values that meet the condition.
            #expect(try await names("filter=currency:u&sort=senderName&order=asc") == ["Ann Lee", "Bob Ray", "Dan Ann"])
            #expect(try await names("filter=currency!:eu&sort=currency&order=desc") == ["Bob Ray", "Eve Ash", "Cid Moe"])
            #expect(try await names("filter=currency!=EUR&filter=currency:c") == ["Cid Moe"])
            #expect(try await names("filter=currency=eur").isEmpty, "equals is exact")
            #expect(try await names("filter=currency:xyz&filter=senderName:ann&join=or&sort=senderName&order=asc") == ["Ann Lee", "Dan Ann"])
            #expect(try await names("filter=status:CREA&sort=senderName&order=asc") == senders)
            #expect(try await names("filter=status!:crea").isEmpty)
            #expect(try await names("filter=status=created&filter=status!=created").isEmpty, "a contradiction matches nothing")
            // Sorted on a column, paged two at a time: every row once, in order.
            var seen: [String] = [], cursor: String?
            repeat {
                let page = try decode(PageBody.self, try await client.execute(
                    uri: "/api/v1/remittances?limit=2&sort=senderName&order=desc&count=true" + (cursor.map { "&cursor=\($0)" } ?? ""), method: .get
                ))
                #expect(page.total == 5 && page.totalCapped == false)
                seen += page.items.map(\.senderName)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == senders.sorted(by: >))
            for bad in ["filter=nope:1", "filter=senderName", "filter=amount:1", "filter=createdAt=1", "sort=nope", "order=up", "join=xor",
                        "count=yes", "sort=amount&cursor=42", "cursor=k1.bad"] {
                let response = try await client.execute(uri: "/api/v1/remittances?" + bad, method: .get)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test("lists, the dashboard, the head, the raw log and its checkpoints")
    func reads() async throws {
        try await withAPI { client, pool in
            for index in 0..<3 {
                let response = try await client.execute(
                    uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(),
                    body: ByteBuffer(string: createBody.replacingOccurrences(of: "12345", with: "\(index + 1)00"))
                )
                #expect(response.status == .created)
            }
            // Lists read the views: wait for the projector (it is told of every commit).
            var dashboard: Dashboard?
            for _ in 0..<50 {
                dashboard = try decode(Dashboard.self, try await client.execute(uri: "/api/v1/dashboard", method: .get))
                if dashboard?.projectedPosition == 4 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let page = try decode(PageBody.self, try await client.execute(uri: "/api/v1/remittances?limit=2", method: .get))
            #expect(page.items.map(\.amount) == [300, 200], "newest first")
            let cursor = try #require(page.nextCursor)
            let next = try decode(PageBody.self, try await client.execute(uri: "/api/v1/remittances?limit=2&cursor=\(cursor)", method: .get))
            #expect(next.items.map(\.amount) == [100] && next.nextCursor == nil)

            let head = try decode(HeadBody.self, try await client.execute(uri: "/api/v1/ledger/head", method: .get))
            #expect(head.region == "east" && head.role == "writer" && head.epoch == 1 && head.position == 4 && head.hash.count == 64)
            let log = try decode(EventPageBody.self, try await client.execute(uri: "/api/v1/ledger/events?after=1&limit=2", method: .get))
            #expect(log.items.map(\.position) == [2, 3] && log.next == 3)
            #expect(log.items.last?.hash != nil)

            // The writer's upkeep publishes its key, then signs the head (the first checkpoint is due at once).
            let identity = NodeIdentity(
                store: IdentityStore(pool: pool, region: "east"), keyStore: SigningKeyStore(pool: pool, region: "east"),
                configuration: AuthConfiguration(), logger: Logger(label: "test")
            )
            try await identity.reloadSigningKeys()
            await identity.keepLog()
            let signed = try decode(CheckpointPageBody.self, try await client.execute(uri: "/api/v1/ledger/checkpoints", method: .get))
            let checkpoint = try #require(signed.items.first)
            let key = try #require(identity.jwks.keys.first { $0.kid == checkpoint.kid })
            #expect(signed.items.count == 1 && signed.next == nil && checkpoint.recordedAtPosition == checkpoint.position + 1)
            #expect(LedgerCheckpoint(
                region: checkpoint.region, epoch: checkpoint.epoch, position: checkpoint.position, hash: checkpoint.hash,
                atMicroseconds: checkpoint.atMicroseconds, kid: checkpoint.kid, signature: checkpoint.signature
            ).isSigned(by: try SigningKey(publicJWK: key).publicKey))
            let after = try decode(CheckpointPageBody.self, try await client.execute(uri: "/api/v1/ledger/checkpoints?after=\(checkpoint.recordedAtPosition)", method: .get))
            #expect(after.items.isEmpty)

            let asOf = try decode(Dashboard.self, try await client.execute(uri: "/api/v1/dashboard?asOf=3", method: .get))
            #expect(asOf.countsByStatus == ["created": 2] && asOf.projectedPosition == 3 && asOf.currencies.first?.amount == 300)
            #expect(dashboard?.countsByStatus["created"] == 3)
            #expect(dashboard?.currencies.first?.amount == 600)
        }
    }

    struct BadRequest: Sendable, CustomStringConvertible {
        let method: HTTPRequest.Method
        let uri: String
        var headers: HTTPFields = jsonHeaders()
        var body: [UInt8]? = nil
        let status: HTTPResponse.Status
        var description: String { "\(method) \(uri) → \(status.code)" }
    }

    static let unknownID = "0b7a6f5e-1d2c-4b3a-9f8e-7d6c5b4a3f2e"

    static let badRequests: [BadRequest] = [
        .init(method: .post, uri: "/api/v1/remittances", headers: [.contentType: "text/plain"], body: Array(createBody.utf8), status: .unsupportedMediaType),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(repeating: 0x20, count: 1_100_000), status: .contentTooLarge),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(#"{"senderName": "#.utf8), status: .badRequest),
        .init(method: .post, uri: "/api/v1/remittances", body: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], status: .badRequest),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(#"{"amount": 1, "amount": 2}"#.utf8), status: .badRequest),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(#"{"amount": NaN}"#.utf8), status: .badRequest),
        .init(method: .post, uri: "/api/v1/remittances", body: Array((String(repeating: "[", count: 40) + String(repeating: "]", count: 40)).utf8), status: .badRequest),
        .init(method: .post, uri: "/api/v1/remittances", body: Array((createBody + "x").utf8), status: .badRequest),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(createBody.replacingOccurrences(of: "}", with: #","extra":1}"#).utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(createBody.replacingOccurrences(of: "12345", with: "\"12345\"").utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(createBody.replacingOccurrences(of: "12345", with: "123.45").utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(createBody.replacingOccurrences(of: "12345", with: "99999999999999999999").utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances", body: Array(createBody.replacingOccurrences(of: "USD", with: "usd").utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances", body: Array("[]".utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances", headers: jsonHeaders(["Idempotency-Key": String(repeating: "k", count: 129)]), body: Array(createBody.utf8), status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances/not-a-uuid", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances/\(unknownID)", status: .notFound),
        .init(method: .get, uri: "/api/v1/remittances/\(unknownID)/events", status: .notFound),
        .init(method: .get, uri: "/api/v1/remittances?limit=0", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?limit=501", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?limit=ten", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?cursor=-1", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?status=pending", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?q=%00", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?q=a%00b", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?filter=senderName:%00", status: .badRequest),
        .init(method: .get, uri: "/api/v1/remittances?sort=senderName&cursor=k1.WyJcdTAwMDAiLDFd", status: .badRequest),  // ["\u0000",1]
        .init(method: .post, uri: "/api/v1/remittances", body: Array(createBody.replacingOccurrences(of: "\"Alice", with: #""Al\u202Eice"#).utf8), status: .unprocessableContent),
        .init(method: .patch, uri: "/api/v1/remittances/\(unknownID)", body: Array(#"{"amount": 1}"#.utf8), status: .preconditionRequired),
        .init(method: .patch, uri: "/api/v1/remittances/\(unknownID)", headers: jsonHeaders(["If-Match": "W/\"1\""]), body: Array(#"{"amount": 1}"#.utf8), status: .badRequest),
        .init(method: .patch, uri: "/api/v1/remittances/\(unknownID)", headers: jsonHeaders(["If-Match": "\"1\""]), body: Array(#"{"amount": 1}"#.utf8), status: .notFound),
        .init(method: .patch, uri: "/api/v1/remittances/\(unknownID)", headers: jsonHeaders(["If-Match": "\"1\""]), body: Array("{}".utf8), status: .unprocessableContent),
        // A change's fields are not nullable: `null` is a wrong type, not "left out" (a change of nothing would otherwise pass).
        .init(method: .patch, uri: "/api/v1/remittances/\(unknownID)", headers: jsonHeaders(["If-Match": "\"1\""]), body: Array(#"{"receiverName": null, "amount": 1}"#.utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances/\(unknownID)/cancel", headers: jsonHeaders(["If-Match": "\"1\""]), body: Array(#"{"reason": 5}"#.utf8), status: .unprocessableContent),
        .init(method: .post, uri: "/api/v1/remittances/\(unknownID)/cancel", headers: jsonHeaders(["If-Match": "\"1\""]), body: Array(#"{"reason": "x"}"#.utf8), status: .notFound),
        .init(method: .patch, uri: "/api/v1/remittances/\(unknownID)", headers: [.contentType: "text/plain", HTTPField.Name("If-Match")!: "\"1\""], body: Array(#"{"amount": 1}"#.utf8), status: .unsupportedMediaType),
        .init(method: .post, uri: "/api/v1/remittances/\(unknownID)/cancel", headers: jsonHeaders(["If-Match": "\"1\""]), body: Array(repeating: 0x20, count: 1_100_000), status: .contentTooLarge),
        .init(method: .get, uri: "/api/v1/ledger/events?after=-1", status: .badRequest),
        .init(method: .get, uri: "/api/v1/ledger/checkpoints?limit=0", status: .badRequest),
        .init(method: .get, uri: "/api/v1/dashboard?asOf=yesterday", status: .badRequest),
        .init(method: .get, uri: "/api/v1/dashboard?asOf=999999999", status: .conflict),
        .init(method: .delete, uri: "/api/v1/remittances/\(unknownID)", status: .methodNotAllowed),
        .init(method: .put, uri: "/api/v1/remittances", status: .methodNotAllowed),
        .init(method: .get, uri: "/api/v2/anything", status: .notFound),
    ]

    @Test("every 4xx path answers problem+json, leaks nothing, and leaves the log unchanged", arguments: badRequests)
    func refusals(_ bad: BadRequest) async throws {
        try await withAPI { client, pool in
            let before = try await logCount(pool)
            let response = try await client.execute(uri: bad.uri, method: bad.method, headers: bad.headers, body: bad.body.map { ByteBuffer(bytes: $0) })
            #expect(response.status == bad.status, "\(bad)")
            #expect(response.headers[.contentType] == Problem.contentType, "\(bad)")
            let problem = try decode(Problem.self, response)
            #expect(problem.type.hasPrefix(Problem.typePrefix) && problem.status == bad.status)
            let text = String(buffer: response.body)
            for leak in ["SELECT", "INSERT", "postgres", "Error(", ".swift"] {
                #expect(!text.contains(leak), "\(bad) leaks \(leak): \(text)")
            }
            if bad.status == .unprocessableContent {
                #expect(problem.errors?.isEmpty == false, "validation problems list their fields")
            }
            #expect(try await logCount(pool) == before, "\(bad) changed the log")
        }
    }

    @Test("a known path asked with a method it does not answer is 405 with Allow; an unknown path 404")
    func methodNotAllowed() async throws {
        try await withAPI { client, _ in
            for (method, uri, allow) in [
                (HTTPRequest.Method.put, "/api/v1/remittances", "GET, HEAD, POST"),
                (.delete, "/api/v1/remittances/\(Self.unknownID)", "GET, HEAD, PATCH"),
                (.get, "/api/v1/remittances/\(Self.unknownID)/cancel", "POST"),
                (.post, "/readyz", "GET, HEAD"),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                #expect(response.headers[.contentType] == Problem.contentType)
            }
            #expect(try await client.execute(uri: "/readyz", method: .head).status == .ok, "HEAD where GET is answered")
            #expect(try await client.execute(uri: "/api/v1/nothing-here", method: .put).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/remittances/\(Self.unknownID)", method: .get).status == .notFound)
        }
    }

    @Test("a node of a region that is not the writer answers writes with 409 naming the writer")
    func notWriter() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            _ = try await RegionStore(pool: pool).claim(TestNode.east, initialRole: .reader)
            try await TestNode(pool: pool, role: .reader).test { client in
                let response = try await client.execute(uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: createBody))
                #expect(response.status == .conflict)
                #expect(try decode(Problem.self, response).type == "urn:remit:problem:not-writer")
            }
        }
    }
}
