import Foundation
import Hummingbird
import RemitDomain

/// An RFC 9457 problem: what every error response of Remit is, as `application/problem+json`.
/// `type` is a stable URN that clients can switch on; `detail` is for people and never holds
/// SQL, stack traces or secrets.
public struct Problem: HTTPResponseError, Codable, Sendable, Equatable {
    public static let contentType = "application/problem+json"

    public var type: String
    public var title: String
    public var status: HTTPResponse.Status
    public var detail: String?
    /// For validation problems: every field that was wrong, and why.
    public var errors: [FieldError]?
    /// For writes sent to a region that is not the writer: the region that is.
    public var writer: String?
    /// Headers the answer carries besides the body (`WWW-Authenticate`, `Retry-After`); not part of the JSON.
    public var headers: HTTPFields = [:]

    public init(
        slug: String, title: String, status: HTTPResponse.Status, detail: String? = nil,
        errors: [FieldError]? = nil, writer: String? = nil
    ) {
        self.type = Self.typePrefix + slug
        self.title = title
        self.status = status
        self.detail = detail
        self.errors = errors
        self.writer = writer
    }

    public static let typePrefix = "urn:remit:problem:"

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    public func makeResponse() -> Response {
        // A Problem is plain data; encoding it can not fail.
        let body = try! RemitJSON.encoder().encode(self)
        var fields = headers
        fields[.contentType] = Self.contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, errors, writer
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        title = try container.decode(String.self, forKey: .title)
        status = HTTPResponse.Status(code: try container.decode(Int.self, forKey: .status))
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
        errors = try container.decodeIfPresent([FieldError].self, forKey: .errors)
        writer = try container.decodeIfPresent(String.self, forKey: .writer)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status.code, forKey: .status)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(errors, forKey: .errors)
        try container.encodeIfPresent(writer, forKey: .writer)
    }
}

extension Problem {
    public static func notFound(_ detail: String? = nil) -> Problem {
        Problem(slug: "not-found", title: "Not found", status: .notFound, detail: detail)
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(slug: "bad-request", title: "Bad request", status: .badRequest, detail: detail)
    }

    /// 401 with the `WWW-Authenticate` challenge of RFC 6750; `error` is its error code
    /// (`invalid_token`, `invalid_request`), absent when no credentials were sent at all.
    public static func unauthorized(_ detail: String, error: String? = nil, slug: String = "unauthorized") -> Problem {
        var problem = Problem(slug: slug, title: "Unauthorized", status: .unauthorized, detail: detail)
        var challenge = #"Bearer realm="remit""#
        if let error {
            // The detail is our own fixed text, never client input, so it needs no escaping beyond quotes.
            challenge += #", error="\#(error)", error_description="\#(detail.replacingOccurrences(of: "\"", with: "'"))""#
        }
        problem.headers[.wwwAuthenticate] = challenge
        return problem
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(slug: "forbidden", title: "Forbidden", status: .forbidden, detail: detail)
    }

    public static func rateLimited(retryAfterSeconds: Int, detail: String, slug: String = "rate-limited") -> Problem {
        var problem = Problem(slug: slug, title: "Too many requests", status: .tooManyRequests, detail: detail)
        problem.headers[.retryAfter] = String(retryAfterSeconds)
        return problem
    }

    public static func internalError() -> Problem {
        Problem(slug: "internal", title: "Internal error", status: .internalServerError,
                detail: "the server failed to answer; the error was logged")
    }
}
