import Foundation
import Synchronization

/// The figures a node keeps about replication, as `GET /api/v1/replication` shows them.
public struct ReplicationFigures: Codable, Sendable, Equatable {
    /// Pulling (a reader with a source), serving (a writer), or off.
    public var mode = "off"
    public var readerHeadPosition: Int64 = 0
    public var writerHeadPosition: Int64 = 0
    /// Events the writer has that this reader does not yet.
    public var lagEvents: Int64 = 0
    /// The writer's head event's time minus this reader's head event's time.
    public var lagMilliseconds: Int64 = 0
    /// Since this reader last heard from the writer; nil before the first answer.
    public var millisecondsSinceContact: Int64?
    public var segmentsApplied: Int64 = 0
    public var eventsApplied: Int64 = 0
    /// Rejected segments by reason (`checksum`, `gap`, …).
    public var segmentsRejected: [String: Int64] = [:]
    public var bytesCompressed: Int64 = 0
    public var bytesUncompressed: Int64 = 0
    public var applyMillisecondsLast: Double = 0
    public var applyMillisecondsTotal: Double = 0
    /// The writer's side: segments and bytes served.
    public var segmentsServed: Int64 = 0
    public var bytesServed: Int64 = 0
    public var lastError: String?

    /// The reader's head after a pull, and the writer's head as its answer said, with each
    /// head event's time (microseconds): the lag in events and in the writer's clock time.
    mutating func recordHeads(reader: Int64, readerRecordedAt: Int64?, writer: Int64?, writerRecordedAt: Int64?) {
        readerHeadPosition = reader
        if let writer { writerHeadPosition = max(writer, reader) }
        lagEvents = max(0, writerHeadPosition - reader)
        if let writerRecordedAt, let readerRecordedAt, lagEvents > 0 {
            lagMilliseconds = max(0, (writerRecordedAt - readerRecordedAt) / 1_000)
        } else if lagEvents == 0 {
            lagMilliseconds = 0
        }
    }
}

/// The live figures, updated by the puller and the segment route.
public final class ReplicationStatus: Sendable {
    private let figures = Mutex(ReplicationFigures())
    private let lastContact = Mutex<ContinuousClock.Instant?>(nil)

    public init() {}

    public func update(_ change: (inout ReplicationFigures) -> Void) {
        figures.withLock { change(&$0) }
    }

    func contact() { lastContact.withLock { $0 = .now } }

    public var current: ReplicationFigures {
        var figures = figures.withLock { $0 }
        if let contact = lastContact.withLock({ $0 }) {
            figures.millisecondsSinceContact = Int64((ContinuousClock.now - contact).milliseconds)
        }
        return figures
    }
}
