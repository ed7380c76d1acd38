import Hummingbird
import Logging

/// Turns every error a handler throws into a problem+json response: a `Problem` as it is,
/// Hummingbird's `HTTPError` (such as the router's 404) as a problem of the same status, and
/// anything else as a bare 500 whose cause is logged, never sent to the client.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.makeResponse()
        } catch let error as HTTPError {
            let slug = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "-")
            var response = Problem(slug: slug, title: error.status.reasonPhrase, status: error.status, detail: error.body).makeResponse()
            // Such as the WWW-Authenticate of a 401.
            for field in error.headers where response.headers[field.name] == nil { response.headers.append(field) }
            return response
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Problem.internalError().makeResponse()
        }
    }
}
