import Crypto
import Foundation
import Hummingbird
import RemitCore
import RemitDomain

/// The router's alarm changes on their way to a region's audit trail: `POST /control/v1/alarms`,
/// signed with the deployment key by the router. The signature covers the path and query, so
/// the body's SHA-256 travels in the query; each change carries the id it is recorded under,
/// so a change sent twice (an answer lost) is recorded once.
public enum AlarmAudit {
    public static let path = "/control/v1/alarms"

    public struct Change: Codable, Sendable, Equatable {
        /// The audit entry's id.
        public var entry: UUID
        public var alarm: String
        /// `firing` or `ok` (resolved).
        public var state: String
        public var atMicroseconds: Int64
        public var detail: String

        public init(entry: UUID, alarm: String, state: String, atMicroseconds: Int64, detail: String) {
            self.entry = entry
            self.alarm = alarm
            self.state = state
            self.atMicroseconds = atMicroseconds
            self.detail = detail
        }
    }

    public struct Body: Codable, Sendable, Equatable {
        /// Which router saw the changes (`router 127.0.0.1:8080`): each router keeps its own alarms.
        public var source: String
        public var changes: [Change]

        public init(source: String, changes: [Change]) {
            self.source = source
            self.changes = changes
        }
    }

    /// The path and query a body of `bytes` is posted to: the query names its digest.
    public static func pathAndQuery(body bytes: [UInt8]) -> String {
        path + "?sha256=" + Array(SHA256.hash(data: bytes)).hex
    }

    /// The body of an authenticated request, once its bytes match the digest the signed query named.
    public static func body(_ request: Request, bytes: [UInt8]) throws -> Body {
        let digest = request.uri.queryParameters.get("sha256")
        guard let digest, digest == Array(SHA256.hash(data: bytes)).hex else {
            throw Problem.badRequest("the body does not match the sha256 the signed query names")
        }
        let body: Body
        do {
            body = try RemitJSON.decoder().decode(Body.self, from: Data(bytes))
        } catch {
            throw Problem.badRequest("the body is not a list of alarm changes")
        }
        guard body.changes.count <= Limits.alarmChangesPerRequestMax, (1...128).contains(body.source.utf8.count),
            body.changes.allSatisfy({ ["firing", "ok"].contains($0.state) && (1...64).contains($0.alarm.utf8.count) && $0.detail.utf8.count <= 1_000 })
        else { throw Problem.badRequest("a source of 1 to 128 bytes and at most \(Limits.alarmChangesPerRequestMax) changes, each with an alarm name, a state firing or ok, and a detail of at most 1000 bytes") }
        return body
    }
}
