import Crypto
import Foundation
import RemitCore
import RemitDomain

/// `remit bench verify`: the auditor's inner loop on one core, in memory. A log of `events`
/// creates is sealed once; then `LogAudit` checks it `passes` times (positions, epochs and the
/// hash chain, each record built in its reused buffer), and, as the baseline in the same run, plain
/// SHA-256 runs over exactly the bytes the chain hashes (the previous hash and the canonical
/// record, built beforehand) as many times. Nothing else runs: the figures are the CPU's.
public struct VerifyBench: Sendable {
    public var events: Int
    public var passes: Int

    public init(events: Int, passes: Int) {
        self.events = events
        self.passes = passes
    }

    public struct Result: Sendable {
        public var events: Int
        public var auditEventsPerSecond: Double
        public var sha256EventsPerSecond: Double
        public var sha256MegabytesPerSecond: Double
        public var bytesPerEvent: Double
    }

    public func run() -> Result {
        let log = Self.log(events)
        // The baseline's input: each event's previous hash and canonical record, as one buffer.
        var inputs: [[UInt8]] = []
        inputs.reserveCapacity(log.count)
        var previous = LedgerFormat.genesisHash
        for event in log {
            inputs.append(previous + LedgerFormat.RecordFields(
                position: event.position, epoch: event.epoch, streamID: event.streamID, streamVersion: event.streamVersion,
                type: event.type, recordedAtMicroseconds: event.recordedAtMicroseconds, payload: event.payload, metadata: event.metadata
            ).record)
            previous = event.hash
        }
        let bytes = inputs.reduce(0) { $0 + $1.count }

        let clock = ContinuousClock()
        var sink: UInt8 = 0
        let sha256 = clock.measure {
            for _ in 0..<passes {
                for input in inputs { sink &+= SHA256.hash(data: input).withUnsafeBytes { $0[0] } }
            }
        }
        let audit = clock.measure {
            for _ in 0..<passes { sink &+= Self.audit(log).hash[0] }
        }
        // Printed, so that the optimizer keeps the hashing it feeds on.
        print("bench verify: checksum \(sink)")
        let total = Double(log.count * passes)
        return Result(
            events: log.count, auditEventsPerSecond: total / (audit.milliseconds / 1_000), sha256EventsPerSecond: total / (sha256.milliseconds / 1_000),
            sha256MegabytesPerSecond: Double(bytes * passes) / (sha256.milliseconds / 1_000) / 1_000_000, bytesPerEvent: Double(bytes) / Double(log.count)
        )
    }

    /// One audit of the whole log, as `remit verify` runs it (a local audit, not one captured
    /// by the measuring closure, whose every access Swift would check at run time).
    static func audit(_ log: [RecordedEvent]) -> LogHead {
        var audit = LogAudit()
        precondition(audit.check(log) == nil, "the bench's own log verifies")
        return audit.head
    }

    /// Epoch 1 opened, then `count − 1` creates with varied details, sealed in batches of 100.
    static func log(_ count: Int) -> [RecordedEvent] {
        let opened = LedgerFormat.seal(
            position: 1, epoch: 1, streamID: LedgerEvent.ledgerStreamID, streamVersion: 1,
            event: .epochStarted(EpochStarted(epoch: 1, writer: "east", afterPosition: 0, previousHash: LedgerFormat.genesisHash.hex)),
            metadata: EventMetadata(actor: "system"), recordedAtMicroseconds: 1_800_000_000_000_000, previousHash: LedgerFormat.genesisHash
        )
        var events = [opened]
        events.reserveCapacity(count)
        var head = LogHead(position: 1, hash: opened.hash, epoch: 1)
        var index = 0
        while events.count < count {
            let commands = (0..<min(100, count - events.count)).map { _ -> LedgerCommand in
                index += 1
                let details = RemittanceDetails(
                    senderName: "Sender \(index)", senderBank: "Bank \(index % 7)", senderAccount: "DE8937040044\(53_201_300 + index)",
                    receiverName: "Receiver \(index)", receiverBank: "Bank \(index % 11)", receiverAccount: "GB\(29_601_613_319_268 + index)",
                    amount: Int64(100 + index % 100_000), currency: ["USD", "EUR", "JPY", "GBP"][index % 4], reference: "invoice \(index)"
                )
                return .create(id: UUID(), details: details, metadata: EventMetadata(actor: "clerk", idempotencyKey: "bench-\(index)", requestHash: "h"))
            }
            let decision = BatchDecision.decide(
                commands, after: head, nowMicroseconds: 1_800_000_000_000_000 + Int64(events.count), amountMax: Int64.max, keyed: [:], streams: [:]
            )
            events += decision.sealed
            head = decision.head
        }
        return events
    }
}
