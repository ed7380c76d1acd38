import ArgumentParser
import RemitWire

/// `--tls-certificate` and `--tls-key`: serve HTTPS instead of HTTP.
struct TLSOptions: ParsableArguments {
    @Option(help: "PEM certificate chain to serve HTTPS with (needs --tls-key).")
    var tlsCertificate: String?

    @Option(help: "PEM private key of the certificate.")
    var tlsKey: String?

    func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-certificate and --tls-key go together") }
    }

    var tls: ServerTLS? {
        guard let tlsCertificate, let tlsKey else { return nil }
        return ServerTLS(certificatePath: tlsCertificate, privateKeyPath: tlsKey)
    }
}
