import AsyncHTTPClient
import Foundation
import RemitCore
import RemitWire

/// What one pull gets: a sealed segment, or nothing new; with the writer's head as it said.
public struct PulledSegment: Sendable {
    /// The segment's bytes; nil when the writer had nothing after the reader's head.
    public var bytes: [UInt8]?
    public var writerHead: Int64?
    /// The writer's head event's time, in microseconds.
    public var writerHeadRecordedAtMicroseconds: Int64?

    public init(bytes: [UInt8]?, writerHead: Int64?, writerHeadRecordedAtMicroseconds: Int64?) {
        self.bytes = bytes
        self.writerHead = writerHead
        self.writerHeadRecordedAtMicroseconds = writerHeadRecordedAtMicroseconds
    }
}

/// Where a reader's puller gets the writer's log: over the authenticated HTTP channel between
/// regions (`HTTPSegmentSource`), or, in a test, straight from the writer's `SegmentService`.
public protocol SegmentSource: Sendable {
    /// The segment after `position`, waiting (bounded) for one to be committed.
    func segment(after position: Int64) async throws -> PulledSegment
    /// Every epoch the writer's log opened, oldest first.
    func epochs() async throws -> EpochHistory
}

/// The writer's node over HTTP, every request signed as `region` with the deployment key.
public struct HTTPSegmentSource: SegmentSource {
    public let baseURL: String
    public let key: ReplicationKey
    public let region: String

    public init(baseURL: String, key: ReplicationKey, region: String) {
        self.baseURL = baseURL
        self.key = key
        self.region = region
    }

    public func segment(after position: Int64) async throws -> PulledSegment {
        let pathAndQuery = ReplicationChannel.segmentsPathAndQuery(after: position, waitMilliseconds: Limits.pullWaitMilliseconds)
        let response = try await HTTPClient.shared.execute(
            key.signedRequest(baseURL, pathAndQuery: pathAndQuery, region: region),
            timeout: .milliseconds(Limits.pullWaitMilliseconds + Limits.pullTimeoutMarginMilliseconds)
        )
        let body = Array(buffer: try await response.body.collect(upTo: Limits.segmentResponseBytesMax))
        guard response.status == .ok || response.status == .noContent else {
            throw SegmentStoreError(description: "the writer answered \(response.status.code): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return PulledSegment(
            bytes: response.status == .ok ? body : nil,
            writerHead: response.headers.first(name: ReplicationChannel.headPosition.rawName).flatMap { Int64($0) },
            writerHeadRecordedAtMicroseconds: response.headers.first(name: ReplicationChannel.headRecordedAt.rawName).flatMap { Int64($0) }
        )
    }

    public func epochs() async throws -> EpochHistory {
        let response = try await HTTPClient.shared.execute(
            key.signedRequest(baseURL, pathAndQuery: ReplicationChannel.epochsPath, region: region),
            timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds)
        )
        let body = try await response.body.collect(upTo: Limits.epochHistoryBytesMax)
        guard response.status == .ok else { throw SegmentStoreError(description: "the writer answered \(response.status.code) for its epochs") }
        return try RemitJSON.decoder().decode(EpochHistory.self, from: Data(buffer: body))
    }
}

/// The writer's `SegmentService` in this process: the same cut and the same wait for commits,
/// without HTTP. For tests that run two regions' pullers against each other's databases.
public struct LocalSegmentSource: SegmentSource {
    public let service: SegmentService
    public let waitMilliseconds: Int64

    public init(service: SegmentService, waitMilliseconds: Int64) {
        self.service = service
        self.waitMilliseconds = waitMilliseconds
    }

    public func segment(after position: Int64) async throws -> PulledSegment {
        try await service.segment(after: position, waitMilliseconds: waitMilliseconds)
    }

    public func epochs() async throws -> EpochHistory {
        try await service.epochs()
    }
}
