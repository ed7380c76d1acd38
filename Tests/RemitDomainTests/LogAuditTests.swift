import Crypto
import Foundation
import Testing
@testable import RemitDomain

@Suite("log audit")
struct LogAuditTests {
    /// Epoch 1 opened by east, three creates, epoch 2 opened by west, two creates: 7 events.
    static func log() -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var head = LogHead(position: 0, hash: LedgerFormat.genesisHash, epoch: 0)
        for (epoch, writer, creates) in [(Int64(1), "east", 3), (Int64(2), "west", 2)] {
            let opened = LedgerFormat.seal(
                position: head.position + 1, epoch: epoch, streamID: LedgerEvent.ledgerStreamID, streamVersion: Int32(epoch),
                event: .epochStarted(EpochStarted(epoch: epoch, writer: writer, afterPosition: head.position, previousHash: head.hash.hex)),
                metadata: EventMetadata(actor: "system"), recordedAtMicroseconds: 1_800_000_000_000_000 + epoch, previousHash: head.hash
            )
            events.append(opened)
            head = LogHead(position: opened.position, hash: opened.hash, epoch: epoch)
            let commands = (0..<creates).map { _ in LedgerCommand.create(id: UUID(), details: sample, metadata: EventMetadata(actor: "clerk")) }
            let decision = BatchDecision.decide(commands, after: head, nowMicroseconds: 1_800_000_000_000_100, amountMax: 1_000_000, keyed: [:], streams: [:])
            events += decision.sealed
            head = decision.head
        }
        return events
    }

    private func audit(_ events: [RecordedEvent]) -> (LogAudit, LogAudit.Finding?) {
        var audit = LogAudit()
        for event in events {
            if let finding = audit.check(event) { return (audit, finding) }
        }
        return (audit, nil)
    }

    @Test("an untouched log verifies: its head, its epochs, how many events")
    func intact() {
        let events = Self.log()
        let (audit, finding) = audit(events)
        #expect(finding == nil)
        #expect(audit.head == LogHead(position: 7, hash: events.last!.hash, epoch: 2) && audit.eventCount == 7)
        #expect(audit.epochsOpened.map(\.writer) == ["east", "west"])
    }

    @Test("the streamed hash is the canonical record's hash")
    func chainHash() {
        for event in Self.log() {
            let record = LedgerFormat.RecordFields(
                position: event.position, epoch: event.epoch, streamID: event.streamID, streamVersion: event.streamVersion, type: event.type,
                recordedAtMicroseconds: event.recordedAtMicroseconds, payload: event.payload, metadata: event.metadata
            ).record
            #expect(LedgerFormat.chainHash(of: event, after: [UInt8](repeating: 9, count: 32)) == LedgerFormat.hash(previous: [UInt8](repeating: 9, count: 32), record: record))
        }
    }

    @Test("the record built in place is the canonical record, for every size of number")
    func recordInPlace() {
        var event = Self.log()[2]
        for value: Int64 in [0, 1, 9, 10, 99, 100, 999_999_999, 999_999_999_999_999_999, 1_000_000_000_000_000_000, .max, -1, .min] {
            (event.position, event.epoch, event.recordedAtMicroseconds) = (value, value, value)
            event.streamVersion = Int32(truncatingIfNeeded: value)
            var bytes: [UInt8] = []
            LedgerFormat.appendCanonicalRecord(of: event, to: &bytes)
            #expect(bytes == LedgerFormat.canonicalRecord(
                position: value, epoch: value, streamID: event.streamID, streamVersion: event.streamVersion, type: event.type,
                recordedAtMicroseconds: value, payload: event.payload, metadata: event.metadata
            ), "\(value)")
        }
    }

    @Test("one payload byte changed: found at that position")
    func payloadChanged() {
        var events = Self.log()
        events[3].payload[events[3].payload.count / 2] ^= 0x01
        #expect(audit(events).1?.position == 4)
        #expect(audit(events).1?.reason.contains("hash") == true)
    }

    @Test("two events swapped, renumbered or not: found at the first of them")
    func swapped() {
        var events = Self.log()
        events.swapAt(2, 3)
        #expect(audit(events).1 == LogAudit.Finding(position: 4, reason: "the log skips from position 2 to 4: 1 event(s) missing"))
        var renumbered = Self.log()
        (renumbered[2].payload, renumbered[3].payload) = (renumbered[3].payload, renumbered[2].payload)
        (renumbered[2].streamID, renumbered[3].streamID) = (renumbered[3].streamID, renumbered[2].streamID)
        #expect(audit(renumbered).1?.position == 3)
    }

    @Test("an event deleted: found where the gap is")
    func deleted() {
        var events = Self.log()
        events.remove(at: 4)
        #expect(audit(events).1?.position == 6)
        #expect(audit(events).1?.reason.contains("missing") == true)
    }

    @Test("a new epoch without its EpochStarted, or one naming another event, is found even with hashes recomputed")
    func epochHistory() {
        // An EpochStarted dropped and the chain recomputed after it: positions and hashes hold.
        var events = Self.log()
        events.remove(at: 4)
        var previous = events[3].hash
        for index in 4..<events.count {
            events[index].position = Int64(index + 1)
            events[index].hash = LedgerFormat.chainHash(of: events[index], after: previous)
            previous = events[index].hash
        }
        #expect(audit(events).1 == LogAudit.Finding(position: 5, reason: "epoch 2 begins without an EpochStarted"))
    }

    @Test("an audit can start from any verified point")
    func fromTheMiddle() {
        let events = Self.log()
        var audit = LogAudit(after: LogHead(position: 3, hash: events[2].hash, epoch: 1))
        for event in events[3...] { #expect(audit.check(event) == nil) }
        #expect(audit.eventCount == 4 && audit.epochsOpened.map(\.epoch) == [2])
    }

    /// The log with a checkpoint of its head appended, signed by `key` as `kid`, from `checkpoint` as made.
    private func checkpointed(_ key: P256.Signing.PrivateKey, _ change: (inout LedgerCheckpoint) -> Void = { _ in }) throws -> [RecordedEvent] {
        let events = Self.log()
        let last = events.last!
        var checkpoint = try LedgerCheckpoint.sign(
            region: "west", head: LogHead(position: last.position, hash: last.hash, epoch: last.epoch), atMicroseconds: 1_800_000_000_000_200,
            kid: "west-key", with: key
        )
        change(&checkpoint)
        return events + [LedgerFormat.seal(
            position: last.position + 1, epoch: last.epoch, streamID: IdentityEvent.checkpointStreamID, streamVersion: 1,
            event: .identity(.checkpointSigned(checkpoint)), metadata: EventMetadata(actor: "system"),
            recordedAtMicroseconds: 1_800_000_000_000_200, previousHash: last.hash
        )]
    }

    private func audit(_ events: [RecordedEvent], keys: [String: P256.Signing.PublicKey]) -> (LogAudit, LogAudit.Finding?) {
        var audit = LogAudit(checkpointKeys: keys)
        for event in events {
            if let finding = audit.check(event) { return (audit, finding) }
        }
        return (audit, nil)
    }

    @Test("a checkpoint must name the event before it and carry its key's signature; a key not given leaves it unchecked")
    func checkpoints() throws {
        let key = P256.Signing.PrivateKey()
        let keys = ["west-key": key.publicKey]
        let (good, none) = audit(try checkpointed(key), keys: keys)
        #expect(none == nil && good.checkpointsVerified == 1 && good.checkpointsUnchecked == 0)
        let (unchecked, fine) = audit(try checkpointed(key), keys: [:])
        #expect(fine == nil && unchecked.checkpointsVerified == 0 && unchecked.checkpointsUnchecked == 1)
        // Signed as it reads, but of another position: a checkpoint can not be moved.
        let moved = try checkpointed(key) { checkpoint in
            checkpoint = try! LedgerCheckpoint.sign(
                region: "west", head: LogHead(position: 6, hash: [UInt8](hex: checkpoint.hash)!, epoch: 2), atMicroseconds: 1, kid: "west-key", with: key
            )
        }
        #expect(audit(moved, keys: keys).1?.reason.contains("but the event before it is position 7") == true)
        let otherKey = try checkpointed(P256.Signing.PrivateKey())
        #expect(audit(otherKey, keys: keys).1 == LogAudit.Finding(position: 8, reason: "the checkpoint's signature is not key west-key's"))
        let altered = try checkpointed(key) { $0.atMicroseconds += 1 }
        #expect(audit(altered, keys: keys).1?.reason == "the checkpoint's signature is not key west-key's")
        let statement = try checkpointed(key).last!
        guard case .identity(.checkpointSigned(let checkpoint)) = try statement.event() else { Issue.record("not a checkpoint"); return }
        #expect(String(decoding: checkpoint.signingInput, as: UTF8.self) == "remit-checkpoint-v1\nwest\n2\n7\n\(checkpoint.hash)\n1800000000000200")
    }
}
