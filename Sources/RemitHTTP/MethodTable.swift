import HTTPTypes
import Hummingbird
import RemitWire
import Synchronization

/// The methods each route template answers, so that a known path asked with another method is
/// answered 405 with `Allow` (RFC 9110 §15.5.6), not 404 as if the path did not exist.
final class MethodTable: Sendable {
    private let templates = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    func add(_ method: HTTPRequest.Method, _ path: String) {
        let segments = path.split(separator: "/")
        templates.withLock { templates in
            if let index = templates.firstIndex(where: { $0.segments == segments }) {
                templates[index].methods.insert(method)
            } else {
                templates.append((segments, [method]))
            }
        }
    }

    /// The methods of the template `path` matches (a `{name}` segment matches any one
    /// segment), HEAD with GET; empty when none does.
    func allowed(_ path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        var methods = templates.withLock { templates in
            templates.filter { Self.matches($0.segments, segments) }.reduce(into: Set<HTTPRequest.Method>()) { $0.formUnion($1.methods) }
        }
        if methods.contains(.get) { methods.insert(.head) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    private static func matches(_ template: [Substring], _ segments: [Substring]) -> Bool {
        template.count == segments.count && zip(template, segments).allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") || $0 == $1 }
    }
}

/// Turns the router's 404 for a known path asked with another method into 405 with `Allow`.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: MethodTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.allowed(request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var response = Problem(
                slug: "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed,
                detail: "\(request.uri.path) answers \(list)"
            ).makeResponse()
            response.headers[.allow] = list
            return response
        }
    }
}
