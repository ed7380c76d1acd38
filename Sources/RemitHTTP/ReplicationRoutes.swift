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
        guard let key = configuration.key else { throw Problem.notFound("replication is not configured on this node") }
        try key.authenticate(request, known: configuration.pullingRegions)
        guard let after = try RequestParsing.integer(request, "after", default: nil, range: 0...Int64.max) else {
            throw Problem.badRequest("after is required: the puller's head position")
        }
        let wait = try RequestParsing.integer(request, "waitMilliseconds", default: 0, range: 0...Limits.pullWaitMillisecondsMax)!
        let answer: SegmentService.Answer
        do {
            answer = try await service.segment(after: after, waitMilliseconds: wait)
        } catch let error as SegmentService.AheadOfWriter {
            throw Problem(slug: "ahead-of-writer", title: "Ahead of the writer", status: .conflict, detail: error.description)
        }
        var response: Response
        let head: SegmentService.WriterHead
        switch answer {
        case .segment(let segment, let writerHead):
            response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: segment.bytes)))
            response.headers[.contentType] = ReplicationChannel.segmentMediaType
            head = writerHead
        case .nothingNew(let writerHead):
            response = Response(status: .noContent)
            head = writerHead
        }
        response.headers[ReplicationChannel.headPosition] = String(head.position)
        response.headers[ReplicationChannel.headRecordedAt] = String(head.recordedAtMicroseconds)
        return response
    }

    router.on(RouterPath(ReplicationChannel.epochsPath), method: .get) { request, _ in
        guard let key = configuration.key else { throw Problem.notFound("replication is not configured on this node") }
        try key.authenticate(request, known: configuration.pullingRegions)
        return try jsonResponse(try await service.epochs())
    }
}
