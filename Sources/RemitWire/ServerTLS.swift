import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// A certificate chain and private key (PEM files) that a node or the router serves TLS with.
public struct ServerTLS: Sendable, Equatable {
    public var certificatePath: String
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }

    /// HTTP/1.1, over TLS 1.2 or later when `tls` is given, closing connections idle past the timeout.
    public static func serverBuilder(_ tls: ServerTLS?, idleTimeoutSeconds: Int64) throws -> HTTPServerBuilder {
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(idleTimeoutSeconds)))
        guard let tls else { return http1 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        return try .tls(http1, tlsConfiguration: configuration)
    }
}
