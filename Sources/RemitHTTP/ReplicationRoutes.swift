import Foundation
import HTTPTypes
import Hummingbird
import RemitCore
import RemitDomain
import RemitStorage
import ServiceLifecycle

/// The writer's side of replication: `GET /replication/v1/segments?after=N&waitMilliseconds=M`
/// answers the segment after the puller's head (200, `application/vnd.remit.segment`), or 204
/// when nothing came within the wait. Authenticated by the replication key alone; the router
/// does not forward `/replication`, and user tokens are not accepted here.
func addReplicationRoutes(
    to router: Router<NodeRequestContext>, configuration: ReplicationConfiguration, store: SegmentStore,
    commits: CommitSignal, status: ReplicationStatus
) {
    router.on("/replication/v1/segments", method: .get) { request, _ in
        guard let key = configuration.key else { throw Problem.notFound("replication is not configured on this node") }
        try authenticate(request, key: key, known: configuration.pullingRegions)
        let after = try RequestParsing.integer(request, "after", default: nil, range: 0...Int64.max)
        guard let after else { throw Problem.badRequest("after is required: the puller's head position") }
        let wait = try RequestParsing.integer(request, "waitMilliseconds", default: 0, range: 0...Limits.pullWaitMillisecondsMax)!
        let deadline = ContinuousClock.now + .milliseconds(wait)
        while true {
            let segment: CutSegment?
            do {
                segment = try await store.cut(after: after)
            } catch let error as SegmentStoreError {
                throw Problem(slug: "ahead-of-writer", title: "Ahead of the writer", status: .conflict, detail: error.description)
            }
            if let segment {
                status.update {
                    $0.segmentsServed += 1
                    $0.bytesServed += Int64(segment.bytes.count)
                }
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: segment.bytes)))
                response.headers[.contentType] = "application/vnd.remit.segment"
                try await headHeaders(&response, store)
                return response
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            // A node shutting down answers its long-polls at once rather than holding them open.
            guard !Task.isShuttingDownGracefully else { break }
            await cancelWhenGracefulShutdown {
                await commits.wait(milliseconds: max(1, Int64(remaining.milliseconds)))
            }
            // A short linger: a burst's commits leave in one segment rather than one each.
            try? await Task.sleep(for: .milliseconds(Limits.segmentLingerMilliseconds))
        }
        var response = Response(status: .noContent)
        try await headHeaders(&response, store)
        return response
    }

    // The epochs this region's log has opened: a region that finds a newer epoch here learns
    // the fork point from it when it rejoins.
    router.on("/replication/v1/epochs", method: .get) { request, _ in
        guard let key = configuration.key else { throw Problem.notFound("replication is not configured on this node") }
        try authenticate(request, key: key, known: configuration.pullingRegions)
        return try jsonResponse(EpochHistory(epochs: try await store.epochs()))
    }
}

/// The body of `/replication/v1/epochs`: every `EpochStarted` of the log, oldest first.
public struct EpochHistory: Codable, Sendable, Equatable {
    public var epochs: [EpochStarted]

    public init(epochs: [EpochStarted]) {
        self.epochs = epochs
    }
}

/// The writer's head, so the puller can tell how far behind it is.
private func headHeaders(_ response: inout Response, _ store: SegmentStore) async throws {
    let (head, recordedAt) = try await store.head()
    response.headers[ReplicationHeaders.headPosition] = String(head.position)
    response.headers[ReplicationHeaders.headRecordedAt] = String(recordedAt ?? 0)
}

enum ReplicationHeaders {
    static let headPosition = HTTPField.Name("X-Remit-Head-Position")!
    static let headRecordedAt = HTTPField.Name("X-Remit-Head-Recorded-At-Us")!
}

/// The pulling region, once its signature checks out and the region is one this node serves.
@discardableResult
func authenticate(_ request: Request, key: ReplicationKey, known: Set<String>) throws -> String {
    let refused = Problem(slug: "replication-unauthorized", title: "Unauthorized", status: .unauthorized,
                          detail: "replication requests need a valid signature of a known region")
    guard let region = request.headers[ReplicationKey.regionHeader], let timestampText = request.headers[ReplicationKey.timestampHeader],
        let timestamp = Int64(timestampText), let signature = request.headers[ReplicationKey.signatureHeader]
    else { throw refused }
    let pathAndQuery = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
    guard key.isValid(method: request.method.rawValue, pathAndQuery: pathAndQuery, region: region, timestamp: timestamp,
                      signatureHex: signature, now: Date(), skewSecondsMax: Limits.replicationClockSkewSecondsMax)
    else { throw refused }
    guard known.contains(region) else {
        throw Problem(slug: "unknown-region", title: "Forbidden", status: .forbidden, detail: "this node serves no region \(region)")
    }
    return region
}
