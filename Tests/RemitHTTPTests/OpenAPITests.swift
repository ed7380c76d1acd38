import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import Testing
@testable import RemitHTTP

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("every route of the node is in the document, and the document has no route the node lacks")
    func routesMatch() async throws {
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1)
        let node = try TestNode(pool: pool)
        _ = buildNodeRouter(node: node.node, api: node.api, identity: node.identity, replication: node.replication, recorder: node.recorder)
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.json) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "patch", "delete", "head", "options"]
        let documented = Set(paths.flatMap { path, operations in
            operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
        })
        let routed = Set(node.recorder.routes)
        #expect(routed.count >= 12)
        #expect(routed.subtracting(documented).isEmpty, "routes missing from the document: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented routes the node lacks: \(documented.subtracting(routed).sorted())")
        // Who may call each route is documented as the node enforces it.
        for route in routed {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            let operation = try #require(paths[parts[1]]?[parts[0].lowercased()] as? [String: Any])
            switch node.recorder.access[route] {
            case .anyone:
                #expect((operation["security"] as? [Any])?.isEmpty == true, "\(route) is public but documented as needing a token")
            case .roles(let roles):
                #expect(operation["security"] == nil, "\(route) needs a token")
                #expect(Set(operation["x-remit-roles"] as? [String] ?? []) == Set(roles.map(\.rawValue)), "\(route)'s roles")
            case nil:
                Issue.record("\(route) has no access rule")
            }
        }
        await pool.close()
    }

    /// The rules of a request body are the domain's: the document is checked against them, so a
    /// body generated from the document is one the server takes.
    @Test("the body rules in the document are the domain's: lengths, amounts, currencies, passwords, If-Match")
    func bodyRulesMatchTheDomain() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.json) as? [String: Any])
        let components = try #require(document["components"] as? [String: [String: Any]])
        let schemas = try #require(components["schemas"] as? [String: [String: Any]])
        func property(_ schema: String, _ name: String) throws -> [String: Any] {
            try #require((schemas[schema]?["properties"] as? [String: Any])?[name] as? [String: Any], "\(schema).\(name)")
        }
        #expect(schemas["Text"]?["maxLength"] as? Int == Validation.nameLengthMax)
        #expect(schemas["Text"]?["minLength"] as? Int == 1)
        for schema in ["RemittanceCreate", "RemittanceChanges"] {
            #expect(try property(schema, "reference")["maxLength"] as? Int == Validation.referenceLengthMax)
            let amount = try property(schema, "amount")
            #expect(amount["type"] as? String == "integer" && amount["minimum"] as? Int64 == 1)
            #expect(amount["maximum"] as? Int64 == Limits.amountMinorUnitsMax)
            #expect(try property(schema, "currency")["enum"] as? [String] == Currency.minorUnitDigits.keys.sorted())
        }
        #expect(try property("Cancel", "reason")["maxLength"] as? Int == Validation.reasonLengthMax)
        #expect(try property("NewUser", "roles")["maxItems"] as? Int == Role.allCases.count)
        let password = try property("NewUser", "password")
        #expect(password["minLength"] as? Int == Passwords.lengthMin && password["maxLength"] as? Int == Passwords.lengthMax)
        let parameters = try #require(components["parameters"] as? [String: [String: Any]])
        #expect((parameters["IdempotencyKey"]?["schema"] as? [String: Any])?["maxLength"] as? Int == Limits.idempotencyKeyLengthMax)
        let ifMatch = try #require((parameters["IfMatch"]?["schema"] as? [String: Any])?["pattern"] as? String)
        let pattern = try Regex(ifMatch)
        #expect("\"3\"".wholeMatch(of: pattern) != nil && "W/\"3\"".wholeMatch(of: pattern) == nil && "\"0\"".wholeMatch(of: pattern) == nil)
    }

    @Test("the display rule's pattern in the document takes exactly the texts the server takes")
    func displayPatternIsTheDomainRule() throws {
        let check = OpenAPIConformance.shared
        #expect(check.patterns[DisplayText.pattern] != nil && check.patterns[DisplayText.patternOrEmpty] != nil, "the served document carries both")
        var corpus = [
            "Alice", " Alice ", "\tAlice", "Alice\n", " ", "", "\u{200D}", "a\u{0301}", "  \u{200C} ", "José Müller", "王小明",
            "می\u{200C}خواهم", "👨\u{200D}👩\u{200D}👧", "\u{200B}", "Alice\u{202E}ecilA", "\u{FEFF}Carol", "Dan\u{E0041}", "Eve\u{FFFF}",
            "Fay\u{E000}", "Gil\u{50000}", "Hal\u{00AD}", "\u{00A0}", "x\u{0085}", "\u{3000}y", "\u{1D173}", "z\u{E0100}",
        ]
        // Random texts drawn from every kind of code point the rule tells apart.
        let pools: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x00...0x1F, 0x80...0xFF, 0x2000...0x206F, 0xFE00...0xFEFF, 0xFFF0...0xFFFF, 0x300...0x36F,
            0x0600...0x06FF, 0xE000...0xE0FF, 0x1F300...0x1F6FF, 0xE0000...0xE01FF, 0x3_0000...0x3_1400, 0x10_FFF0...0x10_FFFF,
        ]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let length = Int.random(in: 1...6, using: &random)
            corpus.append(String(String.UnicodeScalarView((0..<length).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: pools.randomElement(using: &random)!, using: &random))
            })))
        }
        for text in corpus {
            let taken = DisplayText.problem(text) == nil
            #expect(check.matches(text, DisplayText.pattern) == taken, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(check.matches(text, DisplayText.patternOrEmpty) == (taken || text.isEmpty))
        }
    }

    @Test("every $ref points at a component that exists")
    func referencesResolve() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIDocument.json) as? [String: Any])
        let components = try #require(document["components"] as? [String: [String: Any]])
        let references = String(decoding: OpenAPIDocument.json, as: UTF8.self).matches(of: /"\$ref": "#\/components\/(\w+)\/(\w+)"/).map { (String($0.1), String($0.2)) }
        #expect(!references.isEmpty)
        for (kind, name) in references {
            #expect(components[kind]?[name] != nil, "#/components/\(kind)/\(name)")
        }
    }

    @Test("the conformance check that every HTTP test's answers go through catches drift: status, media type, body")
    func conformanceCatchesDrift() {
        let check = OpenAPIConformance.shared
        #expect(check.template(for: "/api/v1/remittances/0b5f8a8e-8d1e-4b53-9a4a-1f0d1e2c3b4a") == "/api/v1/remittances/{id}")
        let problem = Data(#"{"type":"urn:remit:problem:not-found","title":"Not found","status":404}"#.utf8)
        #expect(check.problems(method: "GET", path: "/api/v1/remittances/x", status: 404, contentType: "application/problem+json", body: problem).isEmpty)
        #expect(!check.problems(method: "GET", path: "/api/v1/dashboard", status: 404, contentType: "application/problem+json", body: problem).isEmpty,
                "a status the operation does not document")
        #expect(!check.problems(method: "GET", path: "/api/v1/remittances/x", status: 404, contentType: "text/plain", body: problem).isEmpty,
                "a media type the response does not document")
        let wrongTypes = Data(#"{"type":"urn:remit:problem:not-found","title":"Not found","status":"404"}"#.utf8)
        #expect(!check.problems(method: "GET", path: "/api/v1/remittances/x", status: 404, contentType: "application/problem+json", body: wrongTypes).isEmpty,
                "a property of the wrong type")
        let missing = Data(#"{"title":"Not found","status":404}"#.utf8)
        #expect(!check.problems(method: "GET", path: "/api/v1/remittances/x", status: 404, contentType: "application/problem+json", body: missing).isEmpty,
                "a required property missing")
    }
}
