import Crypto
import Foundation

/// An auditor's replay of a log, one event at a time, in position order: positions run on
/// without a gap, epochs never go down, every hash is the hash of its record after the one
/// before, and every new epoch is opened by an `EpochStarted` of that epoch that names the
/// event before it (position and hash), and every checkpoint names the event before it and is
/// signed by the key it names (when that key is among `checkpointKeys`). Pure: `remit verify` streams a region's log through
/// it, and would stream an export's segments the same way.
public struct LogAudit: Sendable {
    /// The first thing wrong, and where.
    public struct Finding: Error, Codable, Equatable, Sendable, CustomStringConvertible {
        public let position: Int64
        public let reason: String

        public init(position: Int64, reason: String) {
            self.position = position
            self.reason = reason
        }

        public var description: String { "position \(position): \(reason)" }
    }

    /// The last event that verified (position 0 and the genesis hash before the first).
    public var head: LogHead { LogHead(position: headPosition, hash: headHash, epoch: headEpoch) }
    private var headPosition: Int64
    private var headEpoch: Int64
    private var headHash: [UInt8] { Array(scratch[0..<LedgerFormat.hashBytes]) }
    /// Each epoch the audited events opened, in order.
    public private(set) var epochsOpened: [EpochStarted] = []
    public private(set) var eventCount: Int64 = 0
    /// Checkpoints in the log whose signature was checked, and those whose key was not given.
    public private(set) var checkpointsVerified: Int64 = 0
    public private(set) var checkpointsUnchecked: Int64 = 0
    /// The keys checkpoints are checked with, by kid.
    private let checkpointKeys: [String: P256.Signing.PublicKey]
    /// The bytes hashed for the event being checked, kept from one event to the next: the
    /// head's hash first (the previous hash of the next event), then the record. Kept here
    /// rather than as an array of its own, so that moving on costs a 32-byte copy, not a
    /// reference count's atomic increments.
    private var scratch: [UInt8]

    /// An audit of the events after `head` (the genesis when auditing from the first event).
    public init(
        after head: LogHead = LogHead(position: 0, hash: LedgerFormat.genesisHash, epoch: 0),
        checkpointKeys: [String: P256.Signing.PublicKey] = [:]
    ) {
        precondition(head.hash.count == LedgerFormat.hashBytes, "a head hash is \(LedgerFormat.hashBytes) bytes")
        headPosition = head.position
        headEpoch = head.epoch
        scratch = head.hash + [UInt8](repeating: 0, count: 1_024)
        self.checkpointKeys = checkpointKeys
    }

    /// Checks the next event; nil when it holds. After a finding the audit is over: the
    /// caller reports it and stops.
    public mutating func check(_ event: RecordedEvent) -> Finding? {
        func finding(_ reason: String) -> Finding { Finding(position: event.position, reason: reason) }
        guard event.position == headPosition + 1 else {
            return event.position > headPosition + 1
                ? finding("the log skips from position \(headPosition) to \(event.position): \(event.position - headPosition - 1) event(s) missing")
                : finding("position \(event.position) comes after position \(headPosition)")
        }
        guard event.epoch >= headEpoch else { return finding("epoch \(event.epoch) after epoch \(headEpoch)") }
        let hashBytes = LedgerFormat.hashBytes
        let needed = hashBytes + LedgerFormat.recordBytesMax(event)
        if scratch.count < needed { scratch += [UInt8](repeating: 0, count: max(needed, 2 * scratch.count) - scratch.count) }
        let chained = scratch.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let used = hashBytes + LedgerFormat.writeCanonicalRecord(of: event, to: base + hashBytes)
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base, count: used))
            return hasher.finalize().withUnsafeBytes { digest in
                event.hash.withUnsafeBytes { stored in stored.count == digest.count && memcmp(stored.baseAddress!, digest.baseAddress!, digest.count) == 0 }
            }
        }
        guard chained else {
            return finding("its hash is not the hash of its record after position \(headPosition)'s: the event was changed, moved or replaced")
        }
        if event.streamID == LedgerEvent.ledgerStreamID {
            guard case .epochStarted(let started)? = try? event.event() else {
                return finding("the ledger stream holds \(event.type), not an EpochStarted")
            }
            guard started.epoch == event.epoch, event.epoch > headEpoch else {
                return finding("EpochStarted(\(started.epoch)) recorded in epoch \(event.epoch) after epoch \(headEpoch)")
            }
            guard started.afterPosition == headPosition, started.previousHash == headHash.hex else {
                return finding("EpochStarted(\(started.epoch)) names position \(started.afterPosition), not the event before it")
            }
            epochsOpened.append(started)
        } else if event.epoch != headEpoch {
            return finding("epoch \(event.epoch) begins without an EpochStarted")
        } else if event.streamID == IdentityEvent.checkpointStreamID {
            if let reason = checkCheckpoint(event) { return finding(reason) }
        }
        // The verified hash becomes the previous hash of the next event.
        scratch.withUnsafeMutableBufferPointer { buffer in
            event.hash.withUnsafeBufferPointer { buffer.baseAddress!.update(from: $0.baseAddress!, count: hashBytes) }
        }
        headPosition = event.position
        headEpoch = event.epoch
        eventCount += 1
        return nil
    }

    /// Checks the events in order; the first finding, or nil when they all hold.
    public mutating func check(_ events: [RecordedEvent]) -> Finding? {
        for event in events {
            if let finding = check(event) { return finding }
        }
        return nil
    }

    /// A checkpoint is recorded right after the event it signs: it must name that event (the
    /// one before it), in its own epoch, and be signed by the key it names.
    private mutating func checkCheckpoint(_ event: RecordedEvent) -> String? {
        guard case .identity(.checkpointSigned(let checkpoint))? = try? event.event() else {
            return "the checkpoint stream holds \(event.type), not a CheckpointSigned"
        }
        let previous = headHash.hex
        guard checkpoint.position == headPosition, checkpoint.hash == previous, checkpoint.epoch == event.epoch else {
            return "the checkpoint signs position \(checkpoint.position) with hash \(checkpoint.hash) in epoch \(checkpoint.epoch), "
                + "but the event before it is position \(headPosition) with hash \(previous)"
        }
        guard let key = checkpointKeys[checkpoint.kid] else {
            checkpointsUnchecked += 1
            return nil
        }
        guard checkpoint.isSigned(by: key) else { return "the checkpoint's signature is not key \(checkpoint.kid)'s" }
        checkpointsVerified += 1
        return nil
    }
}

extension LedgerFormat {
    /// `hash(previous:record:)` of the event's canonical record.
    public static func chainHash(of event: RecordedEvent, after previous: [UInt8]) -> [UInt8] {
        var bytes = previous
        appendCanonicalRecord(of: event, to: &bytes)
        return Array(SHA256.hash(data: bytes))
    }

    /// Appends the event's canonical record (`canonicalRecord`, byte for byte) to `bytes`.
    public static func appendCanonicalRecord(of event: RecordedEvent, to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: recordBytesMax(event)))
        let written = bytes.withUnsafeMutableBufferPointer { writeCanonicalRecord(of: event, to: $0.baseAddress! + start) }
        bytes.removeLast(bytes.count - start - written)
    }

    /// At least the length of the event's canonical record: numbers take at most 20 bytes.
    static func recordBytesMax(_ event: RecordedEvent) -> Int {
        8 * 4 + 4 * 20 + 36 + event.type.utf8.count + event.payload.count + event.metadata.count
    }

    /// Writes the event's canonical record at `base` (room for `recordBytesMax`), formatting
    /// its numbers and stream id in place; returns the bytes written. The verifier's inner
    /// loop: no allocation, one copy of each field.
    static func writeCanonicalRecord(of event: RecordedEvent, to base: UnsafeMutablePointer<UInt8>) -> Int {
        var writer = RecordWriter(base: base)
        writer.decimal(event.position)
        writer.decimal(event.epoch)
        writer.uuid(event.streamID)
        writer.decimal(Int64(event.streamVersion))
        if event.type.utf8.withContiguousStorageIfAvailable({ writer.field($0) }) == nil {
            Array(event.type.utf8).withUnsafeBufferPointer { writer.field($0) }
        }
        writer.decimal(event.recordedAtMicroseconds)
        event.payload.withUnsafeBufferPointer { writer.field($0) }
        event.metadata.withUnsafeBufferPointer { writer.field($0) }
        return writer.offset
    }

    /// Writes length-prefixed fields at a pointer. A struct, not closures over a counter, so
    /// that Swift checks exclusive access at compile time rather than on every byte.
    private struct RecordWriter {
        let base: UnsafeMutablePointer<UInt8>
        var offset = 0

        mutating func length(_ count: Int) {
            base[offset] = UInt8(truncatingIfNeeded: count >> 24)
            base[offset + 1] = UInt8(truncatingIfNeeded: count >> 16)
            base[offset + 2] = UInt8(truncatingIfNeeded: count >> 8)
            base[offset + 3] = UInt8(truncatingIfNeeded: count)
            offset += 4
        }

        mutating func field(_ bytes: UnsafeBufferPointer<UInt8>) {
            length(bytes.count)
            if let start = bytes.baseAddress { (base + offset).update(from: start, count: bytes.count) }
            offset += bytes.count
        }

        /// Decimal ASCII digits, as `String(value)` writes them: two at a time from the end, at
        /// the far end of the number's 20 bytes of room, then moved after the length.
        mutating func decimal(_ value: Int64) {
            guard value >= 0 else {
                Array(String(value).utf8).withUnsafeBufferPointer { field($0) }
                return
            }
            let room = 20, end = base + offset + 4 + room
            var rest = UInt64(value), start = end
            while rest >= 100 {
                let pair = rest % 100
                rest /= 100
                start -= 2
                start[0] = 0x30 &+ UInt8(truncatingIfNeeded: pair / 10)
                start[1] = 0x30 &+ UInt8(truncatingIfNeeded: pair % 10)
            }
            if rest >= 10 {
                start -= 2
                start[0] = 0x30 &+ UInt8(truncatingIfNeeded: rest / 10)
                start[1] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
            } else {
                start -= 1
                start.pointee = 0x30 &+ UInt8(truncatingIfNeeded: rest)
            }
            let digits = end - start
            length(digits)
            memmove(base + offset, start, digits)  // the two may overlap
            offset += digits
        }

        /// The lowercase hyphenated form, 36 bytes.
        mutating func uuid(_ id: UUID) {
            length(36)
            var at = base + offset
            withUnsafeBytes(of: id.uuid) { bytes in
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        at.pointee = UInt8(ascii: "-")
                        at += 1
                    }
                    let high = bytes[index] >> 4, low = bytes[index] & 0x0F
                    at[0] = high < 10 ? 0x30 &+ high : 0x57 &+ high
                    at[1] = low < 10 ? 0x30 &+ low : 0x57 &+ low
                    at += 2
                }
            }
            offset = at - base
        }
    }
}
