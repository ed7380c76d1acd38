import Foundation
import HTTPTypes
import Hummingbird
import RemitStrictJSON
import RemitWire
import RemitCore
import RemitDomain
import RemitStorage

/// What the `/api/v1` routes work with: the appender for writes, the reader for reads.
public struct LedgerAPI: Sendable {
    public let appender: Appender
    public let reader: LedgerReader
    public let regionStore: RegionStore
    public let amountMax: Int64

    public init(appender: Appender, reader: LedgerReader, regionStore: RegionStore, amountMax: Int64 = Limits.amountMinorUnitsMax) {
        self.appender = appender
        self.reader = reader
        self.regionStore = regionStore
        self.amountMax = amountMax
    }

    /// Submits a request's commands together (one transaction) and turns a failure of the
    /// append into its problem; each command's own refusal stays in its outcome.
    func submit(_ commands: [LedgerCommand], bytes: Int) async throws -> [Result<LedgerOutcome, DomainError>] {
        do {
            return try await appender.submit(commands, bytes: bytes)
        } catch let failure as Appender.Failure {
            throw Problem(failure)
        }
    }

    /// Submits a command and turns every refusal into its problem.
    func submit(_ command: LedgerCommand, bytes: Int) async throws -> LedgerOutcome {
        let result: Result<LedgerOutcome, DomainError>
        do {
            result = try await appender.submit(command, bytes: bytes)
        } catch let failure as Appender.Failure {
            throw Problem(failure)
        }
        switch result {
        case .success(let outcome): return outcome
        case .failure(let error): throw Problem(error)
        }
    }
}

/// Records the routes a router is given and who may call each, so tests can hold them against
/// the OpenAPI document and try every route with every role.
public final class RouteRecorder: @unchecked Sendable {
    // Only written while the router is built, on one task; read by tests afterwards.
    public private(set) var routes: [String] = []
    public private(set) var access: [String: Access] = [:]
    public init() {}
    func record(_ method: HTTPRequest.Method, _ path: String, _ rule: Access = .anyone) {
        let route = "\(method.rawValue) \(path)"
        routes.append(route)
        access[route] = rule
    }
}

/// Request parsing shared by the handlers: every refusal is a `Problem` and happens before
/// anything is queued, so a bad request changes nothing.
enum RequestParsing {
    static let jsonMediaType = "application/json"
    static let ifMatch = HTTPField.Name("If-Match")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// The body as strict JSON: declared as JSON, within the size limit, valid UTF-8, no
    /// duplicate keys, no NaN, bounded nesting.
    static func json(_ request: Request, bytesMax: Int) async throws -> (JSONValue, bytes: Int) {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard mediaType == jsonMediaType else {
            throw Problem(slug: "unsupported-media-type", title: "Unsupported media type", status: .unsupportedMediaType,
                          detail: "send the body as application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bytesMax)
        } catch {
            throw Problem(slug: "body-too-large", title: "Body too large", status: .contentTooLarge,
                          detail: "the body may be at most \(bytesMax) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        do {
            return (try StrictJSON.parse(bytes), bytes.count)
        } catch {
            throw Problem(slug: "malformed-json", title: "Malformed JSON", status: .badRequest, detail: error.description)
        }
    }

    static func id(_ context: some RequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw Problem.badRequest("the remittance id must be a UUID")
        }
        return id
    }

    /// The version named by `If-Match: "N"`; writes that change a remittance must name one.
    static func expectedVersion(_ request: Request) throws -> Int32 {
        guard let value = request.headers[ifMatch] else {
            throw Problem(slug: "precondition-required", title: "Precondition required", status: .preconditionRequired,
                          detail: "send If-Match with the ETag of the version you are changing")
        }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 3, trimmed.hasPrefix("\""), trimmed.hasSuffix("\""),
            let version = Int32(trimmed.dropFirst().dropLast()), version > 0
        else {
            throw Problem.badRequest("If-Match must be an ETag such as \"3\"")
        }
        return version
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[idempotencyKey] else { return nil }
        guard IdempotencyKeyRule.holds(for: key) else {
            throw Problem.badRequest("Idempotency-Key must be \(IdempotencyKeyRule.description)")
        }
        return key
    }

    static func metadata(
        _ request: Request, _ context: NodeRequestContext, idempotencyKey: String? = nil, requestHash: String? = nil
    ) -> EventMetadata {
        EventMetadata(
            actor: context.actor, requestID: RequestID.sanitize(request.headers[RequestID.header]),
            idempotencyKey: idempotencyKey, requestHash: requestHash,
            traceID: request.headers[TraceParent.header].flatMap(TraceParent.init)?.traceID
        )
    }

    static func integer(_ request: Request, _ name: String, default value: Int64?, range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int64(text), range.contains(number) else {
            throw Problem.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

/// A remittance response: its body, `ETag` and, for a create, `Location`.
func remittanceResponse(_ remittance: Remittance, status: HTTPResponse.Status = .ok, location: Bool = false) throws -> Response {
    var response = try jsonResponse(RemittanceBody(remittance), status: status)
    response.headers[.eTag] = "\"\(remittance.version)\""
    if location { response.headers[.location] = "/api/v1/remittances/\(remittance.id.uuidString.lowercased())" }
    return response
}
