import Foundation
import Hummingbird
import Logging
import RemitCore

/// Where a node listens.
public struct NodeConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8081) {
        self.host = host
        self.port = port
    }
}

/// The routes of a region node. Split from `buildNodeApplication` so tests can drive the router alone.
public func buildNodeRouter(node: RegionNode) -> Router<BasicRequestContext> {
    let router = Router()
    router.middlewares.add(ProblemMiddleware())
    router.get("/healthz") { _, _ in
        try jsonResponse(Liveness())
    }
    router.get("/readyz") { _, _ in
        switch await node.readiness() {
        case .success(let state): return try jsonResponse(Readiness(state: state))
        case .failure(let problem): return problem.makeResponse()
        }
    }
    return router
}

public func buildNodeApplication(
    node: RegionNode,
    configuration: NodeConfiguration,
    logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildNodeRouter(node: node),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "remit-\(node.region)"
        ),
        logger: logger
    )
}

/// A JSON response with sorted keys, so bodies are stable byte for byte.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
    )
}
