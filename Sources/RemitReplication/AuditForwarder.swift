import AsyncHTTPClient
import Crypto
import Foundation
import RemitCore
import RemitDomain
import RemitWire

/// Carries audit entries a reader recorded (a sign-in lock-out, a rejoin, a reconcile decision
/// made there) to the writer over the signed channel between regions. The writer logs each
/// once, under its entry id; the entries come back in the log, and applying them empties the
/// reader's outbox. Until then they wait there: nothing is lost if the writer is away.
public struct AuditForwarder: Sendable {
    /// The writer's node the puller pulls from, and how requests to it are signed.
    public let writer: HTTPSegmentSource

    public init(writer: HTTPSegmentSource) {
        self.writer = writer
    }

    /// Sends `entries`; returns how many the writer logged (the others it held already).
    public func forward(_ entries: [AuditEntry]) async throws -> Int {
        let body = try RemitJSON.encoder().encode(entries)
        let digest = Array(SHA256.hash(data: body)).hex
        var request = writer.key.signedRequest(
            writer.baseURL, method: .POST, pathAndQuery: ReplicationChannel.auditPathAndQuery(bodySHA256: digest), region: writer.region
        )
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(Array(body))
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds))
        let answer = try await response.body.collect(upTo: Limits.auditForwardBytesMax)
        guard response.status == .ok, let logged = try? RemitJSON.decoder().decode(Logged.self, from: Data(buffer: answer)) else {
            throw SegmentStoreError(description: "the writer answered \(response.status.code) to forwarded audit entries")
        }
        return logged.logged
    }

    /// The writer's answer.
    public struct Logged: Codable, Sendable {
        public var logged: Int
        public init(logged: Int) { self.logged = logged }
    }
}
