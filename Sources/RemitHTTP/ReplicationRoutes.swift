import Hummingbird
import RemitCore
import RemitReplication
import RemitWire

/// The writer's side of replication over HTTP: `GET /replication/v1/segments?after=N&waitMilliseconds=M`
/// answers the segment after the puller's head (200, `application/vnd.remit.segment`), or 204
/// when nothing came within the wait; `GET /replication/v1/epochs` the log's epoch history.
/// Authenticated by the deployment key alone; the router does not forward `/replication`, and
/// user tokens are not accepted here.
func addReplicationRoutes(to router: Router<NodeRequestContext>, configuration: ReplicationConfiguration, service: SegmentService) {
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
}

/// A request signed by a region this node serves segments to; 404 where replication is off.
private func authenticatePuller(_ request: Request, _ configuration: ReplicationConfiguration) throws {
    guard let key = configuration.key else { throw Problem.notFound("replication is not configured on this node") }
    try key.authenticate(request, known: configuration.pullingRegions)
}
