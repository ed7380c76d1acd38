import Crypto
import RemitCore
import RemitDomain
import RemitLZ4

/// The fixed-size header of a segment (docs/segment-format.md gives every byte).
public struct SegmentHeader: Sendable, Equatable {
    public static let magic: [UInt8] = Array("RMSG".utf8)
    public static let version: UInt16 = 1
    public static let byteCount = 148

    public var firstEpoch: Int64
    public var lastEpoch: Int64
    public var firstPosition: Int64
    public var lastPosition: Int64
    public var eventCount: UInt32
    /// The hash of the event before the first one (the reader's head hash when it applies).
    public var previousHash: [UInt8]
    public var lastHash: [UInt8]
    public var uncompressedBytes: UInt32
    public var compressedBytes: UInt32
    /// SHA-256 of the compressed bytes.
    public var checksum: [UInt8]

    func bytes() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.byteCount)
        out += bigEndian(Self.version) + bigEndian(UInt16(0))
        out += bigEndian(firstEpoch) + bigEndian(lastEpoch) + bigEndian(firstPosition) + bigEndian(lastPosition)
        out += bigEndian(eventCount) + previousHash + lastHash
        out += bigEndian(uncompressedBytes) + bigEndian(compressedBytes) + checksum
        precondition(out.count == Self.byteCount)
        return out
    }

    static func parse(_ bytes: [UInt8]) throws(SegmentRejection) -> SegmentHeader {
        guard bytes.count >= byteCount else { throw .truncated("\(bytes.count) bytes, shorter than the \(byteCount)-byte header") }
        guard Array(bytes[0..<4]) == magic else { throw .malformed("it does not start with RMSG") }
        let version = UInt16(read(bytes, 4, 2))
        guard version == Self.version else { throw .unsupportedVersion(version) }
        return SegmentHeader(
            firstEpoch: Int64(bitPattern: read(bytes, 8, 8)), lastEpoch: Int64(bitPattern: read(bytes, 16, 8)),
            firstPosition: Int64(bitPattern: read(bytes, 24, 8)), lastPosition: Int64(bitPattern: read(bytes, 32, 8)),
            eventCount: UInt32(read(bytes, 40, 4)), previousHash: Array(bytes[44..<76]), lastHash: Array(bytes[76..<108]),
            uncompressedBytes: UInt32(read(bytes, 108, 4)), compressedBytes: UInt32(read(bytes, 112, 4)),
            checksum: Array(bytes[116..<148])
        )
    }

    private static func read(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

private func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian, Array.init)
}

/// A decoded segment: its header and the records it carries, not yet checked against any
/// reader's log (`SegmentVerifier` does that).
public struct Segment: Sendable, Equatable {
    public let header: SegmentHeader
    public let records: [LedgerFormat.RecordFields]

    /// Seals consecutive events (which follow `previousHash`) into a segment's bytes.
    public static func encode(_ events: [RecordedEvent], previousHash: [UInt8]) throws -> [UInt8] {
        try encodeCounting(events, previousHash: previousHash).bytes
    }

    /// `encode`, also telling how many bytes the records took before compression.
    public static func encodeCounting(_ events: [RecordedEvent], previousHash: [UInt8]) throws -> (bytes: [UInt8], uncompressedBytes: Int) {
        precondition(!events.isEmpty && events.count <= Limits.segmentEventsMax, "a segment holds 1 to segmentEventsMax events")
        var body: [UInt8] = []
        for event in events {
            body += LedgerFormat.canonicalRecord(
                position: event.position, epoch: event.epoch, streamID: event.streamID, streamVersion: event.streamVersion,
                type: event.type, recordedAtMicroseconds: event.recordedAtMicroseconds, payload: event.payload, metadata: event.metadata
            )
        }
        precondition(body.count <= Limits.segmentBytesMax, "a segment holds at most segmentBytesMax bytes")
        let compressed = try LZ4.compress(body)
        let header = SegmentHeader(
            firstEpoch: events.first!.epoch, lastEpoch: events.last!.epoch,
            firstPosition: events.first!.position, lastPosition: events.last!.position, eventCount: UInt32(events.count),
            previousHash: previousHash, lastHash: events.last!.hash,
            uncompressedBytes: UInt32(body.count), compressedBytes: UInt32(compressed.count),
            checksum: Array(SHA256.hash(data: compressed))
        )
        return (header.bytes() + compressed, body.count)
    }

    /// At least the bytes an event's canonical record takes in a segment: eight 4-byte
    /// lengths, short numbers and the UUID, then type, payload and metadata. Cutters add
    /// events while the sum stays within `Limits.segmentBytesMax`.
    public static func recordBytesBound(_ event: RecordedEvent) -> Int {
        32 + 100 + event.type.utf8.count + event.payload.count + event.metadata.count
    }

    /// The last position a segment's header names, without decoding the rest; nil if the
    /// bytes do not start with a header.
    public static func lastPosition(of bytes: [UInt8]) -> Int64? {
        (try? SegmentHeader.parse(bytes))?.lastPosition
    }

    /// Reads a segment, checking its sizes against the limits before decompressing and its
    /// checksum before trusting a byte.
    public static func decode(_ bytes: [UInt8]) throws(SegmentRejection) -> Segment {
        let header = try SegmentHeader.parse(bytes)
        let bodyCount = bytes.count - SegmentHeader.byteCount
        guard bodyCount >= Int(header.compressedBytes) else {
            throw .truncated("\(bodyCount) compressed bytes of the \(header.compressedBytes) the header declares")
        }
        guard bodyCount == Int(header.compressedBytes) else { throw .malformed("\(bodyCount - Int(header.compressedBytes)) bytes after the segment") }
        guard header.eventCount >= 1, header.eventCount <= Limits.segmentEventsMax else {
            throw .tooLarge("\(header.eventCount) events; a segment holds 1 to \(Limits.segmentEventsMax)")
        }
        guard header.uncompressedBytes <= Limits.segmentBytesMax else {
            throw .tooLarge("\(header.uncompressedBytes) bytes; a segment holds at most \(Limits.segmentBytesMax)")
        }
        let compressed = Array(bytes[SegmentHeader.byteCount...])
        guard Array(SHA256.hash(data: compressed)) == header.checksum else { throw .checksum }
        let body: [UInt8]
        do {
            body = try LZ4.decompress(compressed, limitBytes: Int(header.uncompressedBytes))
        } catch {
            throw .corrupt(error.description)
        }
        guard body.count == Int(header.uncompressedBytes) else {
            throw .corrupt("\(body.count) bytes, the header declares \(header.uncompressedBytes)")
        }
        var records: [LedgerFormat.RecordFields] = []
        records.reserveCapacity(Int(header.eventCount))
        var offset = 0
        while offset < body.count {
            guard records.count < Int(header.eventCount), let (fields, end) = LedgerFormat.parseRecord(body, at: offset) else {
                throw .malformed("record \(records.count + 1) does not parse")
            }
            records.append(fields)
            offset = end
        }
        guard records.count == Int(header.eventCount) else {
            throw .headerMismatch("\(records.count) records, the header declares \(header.eventCount)")
        }
        guard records.first!.position == header.firstPosition, records.last!.position == header.lastPosition,
            records.first!.epoch == header.firstEpoch, records.last!.epoch == header.lastEpoch
        else { throw .headerMismatch("first or last position or epoch") }
        return Segment(header: header, records: records)
    }
}
