import AsyncHTTPClient
import Foundation
import Logging
import NIOSSL
import RemitWire
import RemitPostgres
import ServiceLifecycle
import Testing
@testable import RemitHTTP

@Suite("TLS")
struct TLSTests {
    /// A throw-away self-signed P-256 certificate for localhost, made by openssl.
    static func certificate() throws -> (directory: String, tls: ServerTLS) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remit-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
            "-days", "1", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        return (directory, ServerTLS(certificatePath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem"))
    }

    @Test("a node serves HTTPS with the configured certificate and tells browsers to stay on it")
    func nodeServesTLS() async throws {
        let (directory, tls) = try Self.certificate()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1)
        let node = try TestNode(pool: pool)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildNodeApplication(
            node: node.node, configuration: .init(host: "127.0.0.1", port: 0, tls: tls),
            logger: Logger(label: "test"), onServerRunning: { portContinuation.yield($0) }
        )
        var clientTLS = TLSConfiguration.makeClientConfiguration()
        clientTLS.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.certificatePath))
        clientTLS.certificateVerification = .noHostnameVerification
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: clientTLS))
        let group = ServiceGroup(services: [app], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let response = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Strict-Transport-Security")?.contains("max-age=") == true)
            // Plain HTTP to the TLS port gets no answer.
            await #expect(throws: (any Error).self) {
                _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(5))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await client.shutdown()
        await pool.close()
    }
}
