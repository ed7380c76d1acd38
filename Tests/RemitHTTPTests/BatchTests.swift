import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RemitCore
import RemitDomain
import RemitStrictJSON
import RemitTestSupport
import RemitWire
import Testing
@testable import RemitHTTP

/// A batch body of `items`, each `(key, remittance JSON)`.
func batchBody(_ items: [(String, String)]) -> ByteBuffer {
    ByteBuffer(string: #"{"items":["# + items.map { #"{"idempotencyKey":"\#($0.0)","remittance":\#($0.1)}"# }.joined(separator: ",") + "]}")
}

func remittanceJSON(_ index: Int, amount: Int = 100) -> String {
    #"{"senderName":"Payer","senderBank":"First Bank","senderAccount":"111","receiverName":"Employee \#(index)","receiverBank":"Second Bank","receiverAccount":"\#(1_000 + index)","amount":\#(amount),"currency":"EUR","reference":"payroll \#(index)"}"#
}

@Suite("remittance batches")
struct BatchTests {
    func post(_ client: some TestClientProtocol, _ body: ByteBuffer) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/remittance-batches", method: .post, headers: jsonHeaders(), body: body)
    }

    @Test("good and bad items: each answered as a single create would be, only the good ones written")
    func mixed() async throws {
        try await withAPI { client, pool in
            let before = try await ledgerCount(pool)
            let response = try await post(client, ByteBuffer(string: #"{"items":["#
                + #"{"idempotencyKey":"pay-1","remittance":\#(remittanceJSON(1))},"#
                + #"{"idempotencyKey":"pay-2","remittance":\#(remittanceJSON(2, amount: -5))},"#
                + #"{"idempotencyKey":"pay 3","remittance":\#(remittanceJSON(3))},"#
                + #"{"remittance":\#(remittanceJSON(4)),"extra":1},"#
                + #"7,"#
                + #"{"idempotencyKey":"pay-6","remittance":\#(remittanceJSON(6))}"#
                + "]}"))
            #expect(response.status == .ok)
            let result = try decode(BatchResultBody.self, response)
            #expect(result.items.map(\.outcome) == [.created, .refused, .refused, .refused, .refused, .created])
            #expect(result.items.map(\.status) == [201, 422, 422, 422, 422, 201])
            #expect(result.items.map(\.index) == Array(0..<6))
            #expect((result.created, result.repeated, result.refused) == (2, 0, 4))
            #expect(result.items[1].problem?.errors?.map(\.field) == ["remittance.amount"])
            #expect(result.items[1].idempotencyKey == "pay-2")
            #expect(result.items[2].problem?.errors?.map(\.field) == ["idempotencyKey"] && result.items[2].idempotencyKey == nil)
            #expect(Set(result.items[3].problem?.errors?.map(\.field) ?? []) == ["extra", "idempotencyKey"])
            #expect(result.items[4].problem?.errors?.first?.message == "the body must be a JSON object")
            #expect(result.items[0].remittance?.receiverName == "Employee 1" && result.items[5].remittance?.receiverName == "Employee 6")
            #expect(try await ledgerCount(pool) == before + 2)
            // Each created remittance is readable at once, from the log.
            let id = try #require(result.items[5].remittance?.id)
            #expect(try await client.execute(uri: "/api/v1/remittances/\(id)", method: .get).status == .ok)
        }
    }

    @Test("sent again, a batch creates nothing: every item repeats the remittance its key made; a key is the same claim as the header's")
    func idempotent() async throws {
        try await withAPI { client, pool in
            let single = try await client.execute(
                uri: "/api/v1/remittances", method: .post, headers: jsonHeaders(["Idempotency-Key": "pay-0"]), body: ByteBuffer(string: remittanceJSON(0))
            )
            #expect(single.status == .created)
            let items = (0..<50).map { ("pay-\($0)", remittanceJSON($0)) }
            let first = try decode(BatchResultBody.self, try await post(client, batchBody(items)))
            #expect((first.created, first.repeated, first.refused) == (49, 1, 0))
            #expect(first.items[0].remittance?.id == (try decode(RemittanceBody.self, single)).id)
            let count = try await ledgerCount(pool)
            let again = try decode(BatchResultBody.self, try await post(client, batchBody(items)))
            #expect((again.created, again.repeated, again.refused) == (0, 50, 0))
            #expect(again.items.map { $0.remittance?.id } == first.items.map { $0.remittance?.id })
            #expect(again.items.allSatisfy { $0.status == 200 })
            #expect(try await ledgerCount(pool) == count)
            // A key sent again with another remittance is refused; the rest of the batch goes on.
            let changed = try decode(BatchResultBody.self, try await post(client, batchBody([("pay-7", remittanceJSON(7, amount: 999)), ("pay-50", remittanceJSON(50))])))
            #expect(changed.items.map(\.outcome) == [.refused, .created])
            #expect(changed.items[0].problem?.type == "urn:remit:problem:idempotency-key-reused")
            // The same key twice in one batch: the second is a repeat of the first.
            let twice = try decode(BatchResultBody.self, try await post(client, batchBody([("pay-51", remittanceJSON(51)), ("pay-51", remittanceJSON(51))])))
            #expect(twice.items.map(\.outcome) == [.created, .repeated])
            #expect(twice.items[0].remittance?.id == twice.items[1].remittance?.id)
            #expect(try await ledgerCount(pool) == count + 2)
        }
    }

    @Test("the envelope's limits refuse the whole request with problem+json, and nothing is written")
    func limits() async throws {
        try await withAPI { client, pool in
            let before = try await ledgerCount(pool)
            func refused(_ body: ByteBuffer, _ status: HTTPResponse.Status, _ fields: String..., contentType: String = "application/json") async throws {
                let response = try await client.execute(
                    uri: "/api/v1/remittance-batches", method: .post, headers: [.contentType: contentType], body: body
                )
                #expect(response.status == status)
                #expect(response.headers[.contentType] == Problem.contentType)
                if !fields.isEmpty { #expect(try decode(Problem.self, response).errors?.map(\.field) == fields) }
            }
            let tooMany = (0...Limits.batchItemsMax).map { ("k\($0)", remittanceJSON($0)) }
            try await refused(batchBody(tooMany), .unprocessableContent, "items")
            try await refused(ByteBuffer(string: #"{"items":[]}"#), .unprocessableContent, "items")
            try await refused(ByteBuffer(string: #"{"items":{}}"#), .unprocessableContent, "items")
            try await refused(ByteBuffer(string: #"{"items":[{}],"more":1}"#), .unprocessableContent, "more")
            // Every problem of the envelope is named at once.
            try await refused(ByteBuffer(string: #"{"items":[],"more":1}"#), .unprocessableContent, "more", "items")
            try await refused(ByteBuffer(string: #"{"more":1}"#), .unprocessableContent, "more", "items")
            try await refused(ByteBuffer(string: "[]"), .unprocessableContent, "", "items")
            try await refused(ByteBuffer(string: #"{"items":["#), .badRequest)
            try await refused(ByteBuffer(string: "{}"), .unsupportedMediaType, contentType: "text/csv")
            let huge = String(repeating: "x", count: Limits.batchBodyBytesMax)
            try await refused(ByteBuffer(string: #"{"items":["\#(huge)"]}"#), .contentTooLarge)
            #expect(try await ledgerCount(pool) == before)
            // The most items a batch may hold are taken, in one transaction.
            let most = (0..<Limits.batchItemsMax).map { ("most-\($0)", remittanceJSON($0)) }
            let result = try decode(BatchResultBody.self, try await client.execute(
                uri: "/api/v1/remittance-batches", method: .post, headers: jsonHeaders(), body: batchBody(most)
            ))
            #expect(result.created == Limits.batchItemsMax)
            #expect(try await ledgerCount(pool) == before + Int64(Limits.batchItemsMax))
        }
    }
}
