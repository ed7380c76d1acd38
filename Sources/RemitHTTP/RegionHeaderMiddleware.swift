import HTTPTypes
import Hummingbird

/// Every answer names the region that gave it (`X-Remit-Region`), so a client behind the
/// router — the console among them — can tell which region served it, through a failover too.
struct RegionHeaderMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    static let region = HTTPField.Name("X-Remit-Region")!
    let region: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.region] = region
        return response
    }
}
