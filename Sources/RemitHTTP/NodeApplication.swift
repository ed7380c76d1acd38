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

/// - Parameter onServerRunning: called with the port once listening (port 0 picks a free one).
public func buildNodeApplication(
    node: RegionNode,
    configuration: NodeConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildNodeRouter(node: node),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "remit-\(node.region)"
        ),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// A JSON response in Remit's JSON conventions.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try RemitJSON.encoder().encode(value)))
    )
}

/// Remit's JSON conventions: sorted keys (bodies are stable byte for byte), ISO 8601 dates.
public enum RemitJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
