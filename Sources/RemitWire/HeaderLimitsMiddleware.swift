import HTTPTypes
import Hummingbird
import RemitCore

/// Refuses requests with too many header fields or too many header bytes (431), before any
/// route reads them. NIO's parser bounds a single header; this bounds them together.
public struct HeaderLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    let fieldsMax: Int
    let bytesMax: Int

    public init(fieldsMax: Int = Limits.httpHeaderFieldsMax, bytesMax: Int = Limits.httpHeaderBytesMax) {
        self.fieldsMax = fieldsMax
        self.bytesMax = bytesMax
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let fields = request.headers
        guard fields.count <= fieldsMax else {
            throw Self.problem("a request may carry at most \(fieldsMax) header fields")
        }
        let bytes = fields.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count }
        guard bytes <= bytesMax else {
            throw Self.problem("a request's header fields may hold at most \(bytesMax) bytes")
        }
        return try await next(request, context)
    }

    static func problem(_ detail: String) -> Problem {
        Problem(slug: "headers-too-large", title: "Request header fields too large", status: .requestHeaderFieldsTooLarge, detail: detail)
    }
}
