import Foundation
import Hummingbird

/// `GET /metrics`: the registry in Prometheus's text format, for a scraper that presents the
/// deployment's scrape token as a bearer token (`remit up` writes it to `<data-dir>/metrics-token`
/// and gives it to its nodes and router as `REMIT_METRICS_TOKEN`). The figures say how busy the service is and where it is
/// weak, so they are not public: without a token configured the route answers 404, and a
/// request without the token 401.
public enum MetricsEndpoint {
    /// Shorter tokens are refused at start: a scrape token must not be guessable.
    public static let tokenLengthMin = 32

    public static func add<Context: RequestContext>(to router: Router<Context>, metrics: MetricsRegistry, token: String?) {
        router.get("/metrics") { request, _ -> Response in
            guard let token else { throw HTTPError(.notFound, message: "metrics are off: no scrape token is configured") }
            guard let presented = request.headers[.authorization], Self.matches(presented, token: token) else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"remit metrics\""], message: "a scrape needs the metrics token")
            }
            let body = await metrics.scrape()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
    }

    /// `Bearer <token>`, compared in time that does not depend on where the bytes differ.
    static func matches(_ header: String, token: String) -> Bool {
        let presented = Array(header.utf8), expected = Array(("Bearer " + token).utf8)
        guard presented.count == expected.count else { return false }
        return zip(presented, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
