import Crypto
import Foundation

/// An auditor's replay of a log, one event at a time, in position order: positions run on
/// without a gap, epochs never go down, every hash is the hash of its record after the one
/// before, and every new epoch is opened by an `EpochStarted` of that epoch that names the
/// event before it (position and hash). Pure: `remit verify` streams a region's log through
/// it, and would stream an export's segments the same way.
public struct LogAudit: Sendable {
    /// The first thing wrong, and where.
    public struct Finding: Error, Equatable, Sendable, CustomStringConvertible {
        public let position: Int64
        public let reason: String

        public init(position: Int64, reason: String) {
            self.position = position
            self.reason = reason
        }

        public var description: String { "position \(position): \(reason)" }
    }

    /// The last event that verified (position 0 and the genesis hash before the first).
    public private(set) var head: LogHead
    /// Each epoch the audited events opened, in order.
    public private(set) var epochsOpened: [EpochStarted] = []
    public private(set) var eventCount: Int64 = 0

    /// An audit of the events after `head` (the genesis when auditing from the first event).
    public init(after head: LogHead = LogHead(position: 0, hash: LedgerFormat.genesisHash, epoch: 0)) {
        self.head = head
    }

    /// Checks the next event; nil when it holds. After a finding the audit is over: the
    /// caller reports it and stops.
    public mutating func check(_ event: RecordedEvent) -> Finding? {
        func finding(_ reason: String) -> Finding { Finding(position: event.position, reason: reason) }
        guard event.position == head.position + 1 else {
            return event.position > head.position + 1
                ? finding("the log skips from position \(head.position) to \(event.position): \(event.position - head.position - 1) event(s) missing")
                : finding("position \(event.position) comes after position \(head.position)")
        }
        guard event.epoch >= head.epoch else { return finding("epoch \(event.epoch) after epoch \(head.epoch)") }
        guard LedgerFormat.chainHash(of: event, after: head.hash) == event.hash else {
            return finding("its hash is not the hash of its record after position \(head.position)'s: the event was changed, moved or replaced")
        }
        if event.streamID == LedgerEvent.ledgerStreamID {
            guard case .epochStarted(let started)? = try? event.event() else {
                return finding("the ledger stream holds \(event.type), not an EpochStarted")
            }
            guard started.epoch == event.epoch, event.epoch > head.epoch else {
                return finding("EpochStarted(\(started.epoch)) recorded in epoch \(event.epoch) after epoch \(head.epoch)")
            }
            guard started.afterPosition == head.position, started.previousHash == head.hash.hex else {
                return finding("EpochStarted(\(started.epoch)) names position \(started.afterPosition), not the event before it")
            }
            epochsOpened.append(started)
        } else if event.epoch != head.epoch {
            return finding("epoch \(event.epoch) begins without an EpochStarted")
        }
        head = LogHead(position: event.position, hash: event.hash, epoch: event.epoch)
        eventCount += 1
        return nil
    }
}

extension LedgerFormat {
    /// `hash(previous:record:)` of the event's canonical record, computed without building the
    /// record: each field goes to SHA-256 as it is (the verifier's inner loop).
    public static func chainHash(of event: RecordedEvent, after previous: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        func field(_ bytes: UnsafeBufferPointer<UInt8>) {
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
        }
        func field(_ text: String) {
            var text = text
            text.withUTF8 { field($0) }
        }
        field(String(event.position))
        field(String(event.epoch))
        field(event.streamID.uuidString.lowercased())
        field(String(event.streamVersion))
        field(event.type)
        field(String(event.recordedAtMicroseconds))
        event.payload.withUnsafeBufferPointer { field($0) }
        event.metadata.withUnsafeBufferPointer { field($0) }
        return Array(hasher.finalize())
    }
}
