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
    public let baseURL: String
    public let key: ReplicationKey
    public let region: String

    public init(baseURL: String, key: ReplicationKey, region: String) {
        self.baseURL = baseURL
        self.key = key
        self.region = region
    }

    /// Sends `entries`; returns how many the writer logged (the others it held already).
    public func forward(_ entries: [AuditEntry]) async throws -> Int {
        let body = try RemitJSON.encoder().encode(entries)
        let digest = Array(SHA256.hash(data: body)).hex
        var request = key.signedRequest(baseURL, method: .POST, pathAndQuery: ReplicationChannel.auditPathAndQuery(bodySHA256: digest), region: region)
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
