import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import RemitCore

/// The per-deployment secret that authenticates replication requests: each pull carries an
/// HMAC-SHA256 over its method, path, region and time. A user's token is never accepted there,
/// and this key is never accepted on the API.
public struct ReplicationKey: Sendable {
    static let regionHeader = HTTPField.Name("X-Remit-Replication-Region")!
    static let timestampHeader = HTTPField.Name("X-Remit-Replication-Timestamp")!
    static let signatureHeader = HTTPField.Name("X-Remit-Replication-Signature")!

    private let key: SymmetricKey

    /// From its hex form (64 hex digits, 32 bytes); nil otherwise.
    public init?(hex: String) {
        let text = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64, let bytes = [UInt8](hex: text) else { return nil }
        key = SymmetricKey(data: bytes)
    }

    /// A key for another purpose (`label` names it), derived with HKDF-SHA256: the deployment
    /// key itself signs requests and nothing else.
    public func derivedKey(_ label: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array(label.utf8), outputByteCount: 32)
    }

    /// The key that seals password hashes in the log (`CredentialSeal`).
    public var credentialSealKey: SymmetricKey { derivedKey("remit credential seal v1") }

    /// A new random key's hex form.
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.hex
    }

    func signature(method: String, pathAndQuery: String, region: String, timestamp: Int64) -> [UInt8] {
        let message = "\(method) \(pathAndQuery)\n\(region)\n\(timestamp)"
        return Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key))
    }

    /// The headers a pull from `region` carries.
    public func headers(method: String, pathAndQuery: String, region: String, now: Date = Date()) -> [(String, String)] {
        let timestamp = Int64(now.timeIntervalSince1970)
        let signature = signature(method: method, pathAndQuery: pathAndQuery, region: region, timestamp: timestamp)
        return [
            (Self.regionHeader.rawName, region), (Self.timestampHeader.rawName, String(timestamp)),
            (Self.signatureHeader.rawName, signature.hex),
        ]
    }

    /// Checks a request's signature in constant time, and that its time is near ours.
    func isValid(method: String, pathAndQuery: String, region: String, timestamp: Int64, signatureHex: String, now: Date, skewSecondsMax: Int64) -> Bool {
        guard abs(Int64(now.timeIntervalSince1970) - timestamp) <= skewSecondsMax, signatureHex.utf8.count == 64,
            let presented = ReplicationKey(hex: signatureHex)
        else { return false }
        let message = "\(method) \(pathAndQuery)\n\(region)\n\(timestamp)"
        return presented.key.withUnsafeBytes { code in
            HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Array(message.utf8), using: key)
        }
    }
}

extension ReplicationKey {
    /// The signing region of a request between Remit's own processes (a pull, a lease renewal),
    /// once its signature checks out and the region is one of `known`. One check for every
    /// signed route: user tokens are never accepted there.
    @discardableResult
    public func authenticate(_ request: Request, known: Set<String>) throws -> String {
        let refused = Problem(slug: "replication-unauthorized", title: "Unauthorized", status: .unauthorized,
                              detail: "replication requests need a valid signature of a known region")
        guard let region = request.headers[Self.regionHeader], let timestampText = request.headers[Self.timestampHeader],
            let timestamp = Int64(timestampText), let signature = request.headers[Self.signatureHeader]
        else { throw refused }
        let pathAndQuery = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        guard isValid(method: request.method.rawValue, pathAndQuery: pathAndQuery, region: region, timestamp: timestamp,
                      signatureHex: signature, now: Date(), skewSecondsMax: Limits.replicationClockSkewSecondsMax)
        else { throw refused }
        guard known.contains(region) else {
            throw Problem(slug: "unknown-region", title: "Forbidden", status: .forbidden, detail: "this node serves no region \(region)")
        }
        return region
    }

    /// A request to `baseURL + pathAndQuery` signed as `region`.
    public func signedRequest(_ baseURL: String, method: HTTPMethod = .GET, pathAndQuery: String, region: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + pathAndQuery)
        request.method = method
        for (name, value) in headers(method: method.rawValue, pathAndQuery: pathAndQuery, region: region) {
            request.headers.add(name: name, value: value)
        }
        return request
    }
}

/// Names shared by the router, which renews leases, and the nodes, which grant them.
public enum LeaseRenewal {
    /// The principal the router signs control requests as.
    public static let routerPrincipal = "router"

    public static func pathAndQuery(epoch: Int64, milliseconds: Int64) -> String {
        "/control/v1/lease?epoch=\(epoch)&milliseconds=\(milliseconds)"
    }
}

/// The router's automatic forced failover: `POST /control/v1/failover?lagEventsMax=N` to the
/// target region's node, signed like a lease renewal; the node takes over unless it trails the
/// writer's last head it heard of by more than N events.
public enum AutomaticFailoverRequest {
    public static func pathAndQuery(lagEventsMax: Int64) -> String {
        "/control/v1/failover?lagEventsMax=\(lagEventsMax)"
    }
}
