import Crypto
import Foundation
import RemitSegment
import RemitDomain
import Testing
@testable import RemitReplication

/// A log of `count` events: EpochStarted(1) then creates, chained from the genesis hash.
func sampleLog(_ count: Int, epoch: Int64 = 1) -> [RecordedEvent] {
    var events: [RecordedEvent] = []
    var hash = LedgerFormat.genesisHash
    let started = EpochStarted(epoch: epoch, writer: "east", afterPosition: 0, previousHash: hash.hex)
    events.append(LedgerFormat.seal(
        position: 1, epoch: epoch, streamID: LedgerEvent.ledgerStreamID, streamVersion: 1, event: .epochStarted(started),
        metadata: EventMetadata(actor: "system"), recordedAtMicroseconds: 1_795_800_000_000_000, previousHash: hash
    ))
    hash = events[0].hash
    for index in 1..<count {
        let details = RemittanceDetails(
            senderName: "Sender \(index)", senderBank: "Bank A", senderAccount: "111", receiverName: "Receiver", receiverBank: "Bank B",
            receiverAccount: "222", amount: Int64(100 + index), currency: "EUR", reference: nil
        )
        let event = LedgerFormat.seal(
            position: Int64(index + 1), epoch: epoch, streamID: UUID(), streamVersion: 1, event: .remittanceCreated(details),
            metadata: EventMetadata(actor: "clerk", idempotencyKey: "key-\(index)"), recordedAtMicroseconds: 1_795_800_000_000_000 + Int64(index),
            previousHash: hash
        )
        events.append(event)
        hash = event.hash
    }
    return events
}

let genesis = LogHead(position: 0, hash: LedgerFormat.genesisHash, epoch: 0)

@Suite("segments")
struct SegmentTests {
    @Test("a segment round-trips and verifies from the reader's head: same positions, payloads, hashes")
    func roundTrip() throws {
        let log = sampleLog(200)
        let bytes = try Segment.encode(log, previousHash: LedgerFormat.genesisHash)
        let segment = try Segment.decode(bytes)
        #expect(segment.header.eventCount == 200 && segment.header.firstPosition == 1 && segment.header.lastPosition == 200)
        #expect(try SegmentVerifier.verify(segment, after: genesis).get() == log)
        #expect(Int(segment.header.compressedBytes) < Int(segment.header.uncompressedBytes) / 2, "repetitive JSON compresses")
        // The second half, from the first half's head.
        let second = try Segment.decode(try Segment.encode(Array(log[100...]), previousHash: log[99].hash))
        #expect(try SegmentVerifier.verify(second, after: LogHead(position: 100, hash: log[99].hash, epoch: 1)).get() == Array(log[100...]))
    }

    static func rejection(_ bytes: [UInt8], after head: LogHead = genesis) -> SegmentRejection? {
        do {
            let segment = try Segment.decode(bytes)
            if case .failure(let rejection) = SegmentVerifier.verify(segment, after: head) { return rejection }
            return nil
        } catch {
            return error
        }
    }

    @Test("a flipped bit in the compressed bytes, or in the header's checksum, is caught by the checksum")
    func flippedCompressedBit() throws {
        var bytes = try Segment.encode(sampleLog(50), previousHash: LedgerFormat.genesisHash)
        bytes[SegmentHeader.byteCount + 20] ^= 0x04
        #expect(Self.rejection(bytes) == .checksum)
    }

    @Test("a flipped bit in the records (recompressed with a valid checksum) breaks the chain")
    func flippedRecordBit() throws {
        var log = sampleLog(50)
        log[20].payload[5] ^= 0x01  // the stored hash stays as it was
        let bytes = try Segment.encode(log, previousHash: LedgerFormat.genesisHash)
        #expect(Self.rejection(bytes) == .brokenChain(position: 50))
    }

    @Test("truncated, oversized and trailing-garbage segments are rejected before decompressing")
    func sizes() throws {
        let bytes = try Segment.encode(sampleLog(50), previousHash: LedgerFormat.genesisHash)
        guard case .truncated? = Self.rejection(Array(bytes.dropLast(10))) else { Issue.record("truncated"); return }
        guard case .truncated? = Self.rejection(Array(bytes.prefix(100))) else { Issue.record("header only"); return }
        guard case .malformed? = Self.rejection(bytes + [0]) else { Issue.record("trailing"); return }
        var huge = bytes
        huge[108] = 0x7F  // declares ~2 GB uncompressed
        guard case .tooLarge? = Self.rejection(huge) else { Issue.record("too large"); return }
        var version = bytes
        version[5] = 9
        #expect(Self.rejection(version) == .unsupportedVersion(9))
    }

    @Test("gaps, overlaps and replays are rejected with the reader's head in the reason")
    func placement() throws {
        let log = sampleLog(30)
        let head = LogHead(position: 10, hash: log[9].hash, epoch: 1)
        #expect(Self.rejection(try Segment.encode(Array(log[11...]), previousHash: log[10].hash), after: head) == .gap(readerHead: 10, first: 12))
        #expect(Self.rejection(try Segment.encode(Array(log[5...]), previousHash: log[4].hash), after: head) == .overlap(readerHead: 10, first: 6))
        #expect(Self.rejection(try Segment.encode(Array(log[0..<10]), previousHash: LedgerFormat.genesisHash), after: head) == .replay(readerHead: 10, last: 10))
    }

    @Test("a segment from an older epoch, or one that raises the epoch without EpochStarted, is rejected")
    func epochs() throws {
        let log = sampleLog(20)
        let later = LogHead(position: 10, hash: log[9].hash, epoch: 2)
        #expect(Self.rejection(try Segment.encode(Array(log[10...]), previousHash: log[9].hash), after: later) == .staleEpoch(readerEpoch: 2, segmentEpoch: 1))
        // Epoch 2 events with no EpochStarted(2) before them.
        var raised: [RecordedEvent] = []
        var hash = log[9].hash
        for event in log[10...] {
            var fields = LedgerFormat.RecordFields(
                position: event.position, epoch: 2, streamID: event.streamID, streamVersion: event.streamVersion, type: event.type,
                recordedAtMicroseconds: event.recordedAtMicroseconds, payload: event.payload, metadata: event.metadata
            )
            fields.epoch = 2
            let recorded = fields.recorded(after: hash)
            raised.append(recorded)
            hash = recorded.hash
        }
        guard case .epochHistory(11, _)? = Self.rejection(try Segment.encode(raised, previousHash: log[9].hash), after: LogHead(position: 10, hash: log[9].hash, epoch: 1)) else {
            Issue.record("an epoch raised without EpochStarted must be refused"); return
        }
    }

    @Test("a segment that does not chain from the reader's head hash is rejected")
    func brokenLink() throws {
        let log = sampleLog(20)
        let head = LogHead(position: 10, hash: Array(SHA256.hash(data: [1, 2, 3])), epoch: 1)
        #expect(Self.rejection(try Segment.encode(Array(log[10...]), previousHash: log[9].hash), after: head) == .brokenChain(position: 11))
    }
}

@Suite("the fuzz corpus")
struct FuzzCorpusTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fuzz/corpus/segment").standardized

    /// The seeds tools/fuzz starts from: the sample log's first event alone and its first four,
    /// as the writer encodes them. `REMIT_FUZZ_SEEDS=write` makes them again (the format changed).
    @Test("the segment seeds are segments the writer made, which verify from the genesis head")
    func seeds() throws {
        let log = sampleLog(4)
        let seeds = ["genuine-1.seg": Array(log.prefix(1)), "genuine-4.seg": log]
        if ProcessInfo.processInfo.environment["REMIT_FUZZ_SEEDS"] == "write" {
            for (name, events) in seeds {
                try Data(try Segment.encode(events, previousHash: LedgerFormat.genesisHash)).write(to: Self.folder.appendingPathComponent(name))
            }
        }
        let full = try SegmentVerifier.verify(Segment.decode(Array(Data(contentsOf: Self.folder.appendingPathComponent("genuine-4.seg")))), after: genesis).get()
        let first = try SegmentVerifier.verify(Segment.decode(Array(Data(contentsOf: Self.folder.appendingPathComponent("genuine-1.seg")))), after: genesis).get()
        #expect(full.count == 4 && full.first?.type == "EpochStarted" && first == Array(full.prefix(1)))
    }
}
