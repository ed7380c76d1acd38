import Foundation
import HTTPTypes
import Hummingbird
import RemitAuth

/// A node's request context: who is asking (once their token verified) and from where.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the access check of routes that need a token.
    public var principal: Principal?
    /// The client's address: the peer's, or the router's `X-Forwarded-For` when the peer is a
    /// trusted proxy (see `ClientAddressMiddleware`).
    public var clientAddress: String
    let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        peerAddress = source.channel.remoteAddress?.ipAddress
        clientAddress = peerAddress ?? "unknown"
    }

    /// The actor events and audit records carry.
    var actor: String { principal?.actor ?? "anonymous" }
}

/// Believes `X-Forwarded-For` only from trusted proxies (the router, on loopback by default),
/// taking the entry the proxy itself added: the last one. A client can not pick its own address.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let peer = context.peerAddress, trustedProxies.contains(peer),
            let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!].last,
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty,
            last.utf8.count <= 64, last.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            context.clientAddress = last
        }
        return try await next(request, context)
    }
}
