import Foundation
import HTTPTypes
import RemitCore
import RemitDomain
import ServiceLifecycle

/// The writer's side of replication: the segment after a puller's head, waiting (bounded) for
/// one to be committed when there is none yet. The HTTP route around it only authenticates,
/// parses and answers.
public struct SegmentService: Sendable {
    public struct AheadOfWriter: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    let store: SegmentStore
    let commits: CommitSignal
    let status: ReplicationStatus

    public init(store: SegmentStore, commits: CommitSignal, status: ReplicationStatus) {
        self.store = store
        self.commits = commits
        self.status = status
    }

    /// The segment after `position` (nil bytes: nothing new within `waitMilliseconds`), with
    /// this writer's head. Throws `AheadOfWriter` when the puller's head is past this log's.
    public func segment(after position: Int64, waitMilliseconds: Int64) async throws -> PulledSegment {
        let deadline = ContinuousClock.now + .milliseconds(waitMilliseconds)
        while true {
            let seen = commits.generation
            let segment: CutSegment?
            do {
                segment = try await store.cut(after: position)
            } catch let error as SegmentStoreError {
                throw AheadOfWriter(description: error.description)
            }
            if let segment {
                status.update {
                    $0.segmentsServed += 1
                    $0.bytesServed += Int64(segment.bytes.count)
                }
                return try await answer(segment.bytes)
            }
            let remaining = deadline - ContinuousClock.now
            // A node shutting down answers its long-polls at once rather than holding them open.
            guard remaining > .zero, !Task.isShuttingDownGracefully else { break }
            await cancelWhenGracefulShutdown {
                await commits.wait(after: seen, milliseconds: max(1, min(Int64(remaining.milliseconds), Limits.segmentRecheckMilliseconds)))
            }
            // A short linger: a burst's commits leave in one segment rather than one each.
            try? await Task.sleep(for: .milliseconds(Limits.segmentLingerMilliseconds))
        }
        return try await answer(nil)
    }

    /// Every epoch this region's log opened, oldest first: a region that finds a newer epoch
    /// here learns the fork point from it when it rejoins.
    public func epochs() async throws -> EpochHistory {
        EpochHistory(epochs: try await store.epochs())
    }

    /// `bytes` with the writer's head, so the puller can tell how far behind it is.
    private func answer(_ bytes: [UInt8]?) async throws -> PulledSegment {
        let (head, recordedAt) = try await store.head()
        return PulledSegment(bytes: bytes, writerHead: head.position, writerHeadRecordedAtMicroseconds: recordedAt ?? 0)
    }
}

/// The body of `/replication/v1/epochs`: every `EpochStarted` of the log, oldest first.
public struct EpochHistory: Codable, Sendable, Equatable {
    public var epochs: [EpochStarted]

    public init(epochs: [EpochStarted]) {
        self.epochs = epochs
    }
}

/// The replication channel's paths and headers, shared by the writer's routes and the puller.
public enum ReplicationChannel {
    public static let segmentsPath = "/replication/v1/segments"
    public static let epochsPath = "/replication/v1/epochs"
    /// Audit entries a reader recorded, for the writer to log (`AuditForwarder`).
    public static let auditPath = "/replication/v1/audit"
    public static let segmentMediaType = "application/vnd.remit.segment"
    /// The writer's head position and its head event's time, so the puller can tell its lag.
    public static let headPosition = HTTPField.Name("X-Remit-Head-Position")!
    public static let headRecordedAt = HTTPField.Name("X-Remit-Head-Recorded-At-Us")!

    public static func segmentsPathAndQuery(after position: Int64, waitMilliseconds: Int64) -> String {
        "\(segmentsPath)?after=\(position)&waitMilliseconds=\(waitMilliseconds)"
    }

    /// The request signature covers the path and query, so the body's SHA-256 travels in the query.
    public static func auditPathAndQuery(bodySHA256: String) -> String {
        "\(auditPath)?sha256=\(bodySHA256)"
    }
}
