import Crypto
import Foundation
import Hummingbird
import RemitDomain
import RemitStorage
import RemitCore
import RemitReplication
import RemitWire

/// The writer's side of replication over HTTP: `GET /replication/v1/segments?after=N&waitMilliseconds=M`
/// answers the segment after the puller's head (200, `application/vnd.remit.segment`), or 204
/// when nothing came within the wait; `GET /replication/v1/epochs` the log's epoch history.
/// Authenticated by the deployment key alone; the router does not forward `/replication`, and
/// user tokens are not accepted here.
func addReplicationRoutes(
    to router: Router<NodeRequestContext>, configuration: ReplicationConfiguration, service: SegmentService, identity: IdentityStore
) {
    router.on(RouterPath(ReplicationChannel.segmentsPath), method: .get) { request, _ in
        try authenticatePuller(request, configuration)
        guard let after = try RequestParsing.integer(request, "after", default: nil, range: 0...Int64.max) else {
            throw Problem.badRequest("after is required: the puller's head position")
        }
        let wait = try RequestParsing.integer(request, "waitMilliseconds", default: 0, range: 0...Limits.pullWaitMillisecondsMax)!
        let pulled: PulledSegment
        do {
            pulled = try await service.segment(after: after, waitMilliseconds: wait)
        } catch let error as SegmentService.AheadOfWriter {
            throw Problem(slug: "ahead-of-writer", title: "Ahead of the writer", status: .conflict, detail: error.description)
        }
        var response = Response(status: .noContent)
        if let bytes = pulled.bytes {
            response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            response.headers[.contentType] = ReplicationChannel.segmentMediaType
        }
        response.headers[ReplicationChannel.headPosition] = pulled.writerHead.map(String.init)
        response.headers[ReplicationChannel.headRecordedAt] = pulled.writerHeadRecordedAtMicroseconds.map(String.init)
        return response
    }

    router.on(RouterPath(ReplicationChannel.epochsPath), method: .get) { request, _ in
        try authenticatePuller(request, configuration)
        return try jsonResponse(try await service.epochs())
    }

    // A reader's outbox: the writer logs each entry once (409 not-writer anywhere else).
    router.on(RouterPath(ReplicationChannel.auditPath), method: .post) { request, _ in
        let region = try authenticatePuller(request, configuration)
        let body = try await request.body.collect(upTo: Limits.auditForwardBytesMax)
        guard request.uri.queryParameters.get("sha256") == Array(SHA256.hash(data: Array(buffer: body))).hex else {
            throw Problem.badRequest("the body does not match the signed sha256")
        }
        guard let entries = try? RemitJSON.decoder().decode([AuditEntry].self, from: Data(buffer: body)),
            entries.count <= Limits.auditOutboxBatchMax
        else { throw Problem.badRequest("the body is not a list of at most \(Limits.auditOutboxBatchMax) audit entries") }
        guard entries.allSatisfy({ $0.region == region }) else { throw Problem.badRequest("a region forwards only its own audit entries") }
        let logged = try await identityWrite { try await identity.logEntries(entries) }
        return try jsonResponse(AuditForwarder.Logged(logged: logged))
    }
}

/// A request signed by a region this node serves segments to; 404 where replication is off.
@discardableResult
private func authenticatePuller(_ request: Request, _ configuration: ReplicationConfiguration) throws -> String {
    guard let key = configuration.key else { throw Problem.notFound("replication is not configured on this node") }
    return try key.authenticate(request, known: configuration.pullingRegions)
}
