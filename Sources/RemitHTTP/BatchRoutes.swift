import Foundation
import Hummingbird
import RemitCore
import RemitDomain
import RemitStrictJSON
import RemitWire

/// `POST /api/v1/remittance-batches`: up to `Limits.batchItemsMax` creates in one request, as
/// payout APIs take payroll files. Each item carries its own idempotency key; the accepted
/// ones are appended in one transaction and the answer, one result per item in order, comes
/// only after it committed. Sending the same batch again creates nothing: each item answers
/// `repeated` with the remittance it made, as a repeated single create does.
func addBatchRoutes(to routes: NodeRoutes, api: LedgerAPI) {
    let accessGuard = routes.accessGuard
    routes.add(.post, "/api/v1/remittance-batches", .only(.clerk)) { request, context in
        let (body, bytes) = try await RequestParsing.json(request, bytesMax: Limits.batchBodyBytesMax)
        let items = try BatchRequest.items(body)
        try accessGuard.charge(context.principal, requests: items.count - 1)
        let parsed = items.map { BatchRequest.item($0, amountMax: api.amountMax) }
        var commands: [LedgerCommand] = []
        for case .success(let (key, details)) in parsed {
            let metadata = RequestParsing.metadata(request, context, idempotencyKey: key, requestHash: details.fingerprint)
            commands.append(.create(id: RandomID.uuid(), details: details, metadata: metadata))
        }
        var outcomes = commands.isEmpty ? [] : try await api.submit(commands, bytes: bytes)[...]
        var results: [BatchItemResult] = []
        for (index, item) in parsed.enumerated() {
            switch item {
            case .failure(let refusal):
                results.append(BatchItemResult(index: index, key: refusal.key, refused: Problem(refusal.error)))
            case .success(let (key, _)):
                results.append(BatchItemResult(index: index, key: key, outcomes.removeFirst()))
            }
        }
        return try jsonResponse(BatchResultBody(items: results))
    }
}

/// Reading a batch request: the envelope's problems refuse the whole request (nothing is
/// written); an item's problems refuse that item only.
enum BatchRequest {
    struct ItemRefusal: Error {
        var key: String?
        var error: DomainError
    }

    /// The `items` list: 1 to `Limits.batchItemsMax` of them, and nothing else in the body.
    static func items(_ body: JSONValue) throws -> [JSONValue] {
        var reader = FieldReader(body, allowed: ["items"])
        let items = reader.list("items", count: 1...Limits.batchItemsMax, of: "remittances")
        try reader.check()
        // check() threw unless the list was read.
        return items!
    }

    /// One item: `{"idempotencyKey": "…", "remittance": {…}}`.
    static func item(_ value: JSONValue, amountMax: Int64) -> Result<(String, RemittanceDetails), ItemRefusal> {
        var reader = FieldReader(value, allowed: ["idempotencyKey", "remittance"])
        let key = reader.string("idempotencyKey")
        var errors = reader.errors
        if let key, !IdempotencyKeyRule.holds(for: key) {
            errors.append(FieldError(field: "idempotencyKey", message: "must be \(IdempotencyKeyRule.description)"))
        }
        let validKey = errors.contains { $0.field == "idempotencyKey" } ? nil : key
        guard case .object(let members) = value, let remittance = members["remittance"] else {
            if errors.isEmpty { errors.append(FieldError(field: "remittance", message: "is required")) }
            return .failure(ItemRefusal(key: validKey, error: .invalid(errors)))
        }
        switch RequestBodies.details(remittance, amountMax: amountMax) {
        case .success(let details) where errors.isEmpty:
            return .success((key!, details))
        case .success:
            return .failure(ItemRefusal(key: validKey, error: .invalid(errors)))
        case .failure(.invalid(let fields)):
            let nested = fields.map { FieldError(field: $0.field.isEmpty ? "remittance" : "remittance.\($0.field)", message: $0.message) }
            return .failure(ItemRefusal(key: validKey, error: .invalid(errors + nested)))
        case .failure(let error):
            return .failure(ItemRefusal(key: validKey, error: error))
        }
    }
}

/// One item's result: created (201) or repeated (200) with its remittance, or refused with
/// its problem, as the single create would have answered it.
struct BatchItemResult: Codable {
    enum Outcome: String, Codable {
        case created, repeated, refused
    }

    var index: Int
    var idempotencyKey: String?
    var outcome: Outcome
    var status: Int
    var remittance: RemittanceBody?
    var problem: Problem?

    init(index: Int, key: String?, refused problem: Problem) {
        (self.index, idempotencyKey, outcome, status, self.problem) = (index, key, .refused, Int(problem.status.code), problem)
    }

    init(index: Int, key: String, _ result: Result<LedgerOutcome, DomainError>) {
        switch result {
        case .success(let outcome):
            self.init(index: index, key: key, outcome: outcome.isRepeat ? .repeated : .created, remittance: RemittanceBody(outcome.remittance))
        case .failure(let error):
            self.init(index: index, key: key, refused: Problem(error))
        }
    }

    private init(index: Int, key: String, outcome: Outcome, remittance: RemittanceBody) {
        (self.index, idempotencyKey, self.outcome, self.remittance) = (index, key, outcome, remittance)
        status = outcome == .created ? 201 : 200
    }
}

struct BatchResultBody: Codable {
    var items: [BatchItemResult]
    var created: Int
    var repeated: Int
    var refused: Int

    init(items: [BatchItemResult]) {
        self.items = items
        created = items.count { $0.outcome == .created }
        repeated = items.count { $0.outcome == .repeated }
        refused = items.count { $0.outcome == .refused }
    }
}
