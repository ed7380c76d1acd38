import Crypto
import Foundation

/// One event as the log stores it: its place, epoch, stream, type, payload and metadata bytes,
/// the time it was recorded, and its hash. `docs/ledger-format.md` defines the bytes hashed.
public struct RecordedEvent: Sendable, Equatable {
    public var position: Int64
    public var epoch: Int64
    public var streamID: UUID
    public var streamVersion: Int32
    public var type: String
    public var payload: [UInt8]
    public var metadata: [UInt8]
    /// Microseconds since 1970-01-01T00:00:00Z, by the writer database's clock.
    public var recordedAtMicroseconds: Int64
    public var hash: [UInt8]

    public init(
        position: Int64, epoch: Int64, streamID: UUID, streamVersion: Int32, type: String,
        payload: [UInt8], metadata: [UInt8], recordedAtMicroseconds: Int64, hash: [UInt8]
    ) {
        self.position = position
        self.epoch = epoch
        self.streamID = streamID
        self.streamVersion = streamVersion
        self.type = type
        self.payload = payload
        self.metadata = metadata
        self.recordedAtMicroseconds = recordedAtMicroseconds
        self.hash = hash
    }

    public func event() throws(LedgerEvent.UnknownEvent) -> LedgerEvent {
        try LedgerEvent.decode(type: type, payload: payload)
    }
}

/// The canonical record and the hash chain (docs/ledger-format.md).
public enum LedgerFormat {
    public static let hashBytes = 32
    /// The hash "before" the first event.
    public static let genesisHash = [UInt8](repeating: 0, count: hashBytes)

    /// The bytes hashed for an event: each field as a 4-byte big-endian length and its bytes, in
    /// order position, epoch, stream id, stream version, type, recorded-at, payload, metadata.
    /// Numbers are decimal ASCII; the stream id is the lowercase hyphenated UUID.
    public static func canonicalRecord(
        position: Int64, epoch: Int64, streamID: UUID, streamVersion: Int32, type: String,
        recordedAtMicroseconds: Int64, payload: [UInt8], metadata: [UInt8]
    ) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(128 + payload.count + metadata.count)
        for field in [
            Array(String(position).utf8), Array(String(epoch).utf8), Array(streamID.uuidString.lowercased().utf8),
            Array(String(streamVersion).utf8), Array(type.utf8), Array(String(recordedAtMicroseconds).utf8),
            payload, metadata,
        ] {
            let length = UInt32(field.count)
            record += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            record += field
        }
        return record
    }

    /// The fields of a canonical record, read back (the inverse of `canonicalRecord`), and the
    /// offset after it. Nil when the bytes are not exactly one well-formed record there.
    public static func parseRecord(_ bytes: [UInt8], at start: Int) -> (fields: RecordFields, end: Int)? {
        var offset = start
        var fields: [ArraySlice<UInt8>] = []
        fields.reserveCapacity(8)
        for _ in 0..<8 {
            guard offset + 4 <= bytes.count else { return nil }
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            offset += 4
            guard length <= bytes.count - offset else { return nil }
            fields.append(bytes[offset..<(offset + length)])
            offset += length
        }
        func number(_ slice: ArraySlice<UInt8>) -> Int64? {
            // Decimal digits only, no sign, no leading zero: exactly as canonicalRecord writes them.
            guard !slice.isEmpty, slice.count <= 19, slice.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                slice.count == 1 || slice.first != 0x30
            else { return nil }
            return Int64(String(decoding: slice, as: UTF8.self))
        }
        guard let position = number(fields[0]), let epoch = number(fields[1]),
            fields[2].count == 36, let streamID = UUID(uuidString: String(decoding: fields[2], as: UTF8.self)),
            streamID.uuidString.lowercased().utf8.elementsEqual(fields[2]),
            let version = number(fields[3]), let streamVersion = Int32(exactly: version),
            let type = String(validating: fields[4], as: UTF8.self), let recordedAt = number(fields[5])
        else { return nil }
        return (
            RecordFields(
                position: position, epoch: epoch, streamID: streamID, streamVersion: streamVersion, type: type,
                recordedAtMicroseconds: recordedAt, payload: Array(fields[6]), metadata: Array(fields[7])
            ),
            offset
        )
    }

    /// An event's fields without its hash, as a canonical record carries them.
    public struct RecordFields: Sendable, Equatable {
        public var position: Int64
        public var epoch: Int64
        public var streamID: UUID
        public var streamVersion: Int32
        public var type: String
        public var recordedAtMicroseconds: Int64
        public var payload: [UInt8]
        public var metadata: [UInt8]

        public init(
            position: Int64, epoch: Int64, streamID: UUID, streamVersion: Int32, type: String,
            recordedAtMicroseconds: Int64, payload: [UInt8], metadata: [UInt8]
        ) {
            self.position = position
            self.epoch = epoch
            self.streamID = streamID
            self.streamVersion = streamVersion
            self.type = type
            self.recordedAtMicroseconds = recordedAtMicroseconds
            self.payload = payload
            self.metadata = metadata
        }

        public var record: [UInt8] {
            LedgerFormat.canonicalRecord(
                position: position, epoch: epoch, streamID: streamID, streamVersion: streamVersion, type: type,
                recordedAtMicroseconds: recordedAtMicroseconds, payload: payload, metadata: metadata
            )
        }

        /// The recorded event these fields make after `previousHash`.
        public func recorded(after previousHash: [UInt8]) -> RecordedEvent {
            RecordedEvent(
                position: position, epoch: epoch, streamID: streamID, streamVersion: streamVersion, type: type,
                payload: payload, metadata: metadata, recordedAtMicroseconds: recordedAtMicroseconds,
                hash: LedgerFormat.hash(previous: previousHash, record: record)
            )
        }
    }

    /// hash = SHA-256(previous hash ‖ canonical record).
    public static func hash(previous: [UInt8], record: [UInt8]) -> [UInt8] {
        precondition(previous.count == hashBytes, "a previous hash is \(hashBytes) bytes")
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: record)
        return Array(hasher.finalize())
    }

    /// Builds the recorded event that follows `previousHash` at `position`.
    public static func seal(
        position: Int64, epoch: Int64, streamID: UUID, streamVersion: Int32, event: LedgerEvent,
        metadata: EventMetadata, recordedAtMicroseconds: Int64, previousHash: [UInt8]
    ) -> RecordedEvent {
        let payload = event.payload()
        let metadataBytes = metadata.bytes()
        let record = canonicalRecord(
            position: position, epoch: epoch, streamID: streamID, streamVersion: streamVersion, type: event.type,
            recordedAtMicroseconds: recordedAtMicroseconds, payload: payload, metadata: metadataBytes
        )
        return RecordedEvent(
            position: position, epoch: epoch, streamID: streamID, streamVersion: streamVersion, type: event.type,
            payload: payload, metadata: metadataBytes, recordedAtMicroseconds: recordedAtMicroseconds,
            hash: hash(previous: previousHash, record: record)
        )
    }

    /// Where a chain breaks, if it does.
    public struct ChainBreak: Error, Equatable, CustomStringConvertible {
        public let position: Int64
        public let reason: String
        public var description: String { "the chain breaks at position \(position): \(reason)" }
    }

    /// Checks positions run on from `previousPosition` without gaps, epochs never go down,
    /// and every hash is the hash of its record after the one before.
    public static func verify(
        _ events: [RecordedEvent], previousPosition: Int64, previousHash: [UInt8], previousEpoch: Int64
    ) -> Result<Void, ChainBreak> {
        var position = previousPosition, hash = previousHash, epoch = previousEpoch
        for event in events {
            guard event.position == position + 1 else {
                return .failure(ChainBreak(position: event.position, reason: "expected position \(position + 1)"))
            }
            guard event.epoch >= epoch else {
                return .failure(ChainBreak(position: event.position, reason: "epoch \(event.epoch) after epoch \(epoch)"))
            }
            let record = canonicalRecord(
                position: event.position, epoch: event.epoch, streamID: event.streamID, streamVersion: event.streamVersion,
                type: event.type, recordedAtMicroseconds: event.recordedAtMicroseconds, payload: event.payload,
                metadata: event.metadata
            )
            let expected = Self.hash(previous: hash, record: record)
            guard expected == event.hash else {
                return .failure(ChainBreak(position: event.position, reason: "hash does not match its record"))
            }
            (position, hash, epoch) = (event.position, event.hash, event.epoch)
        }
        return .success(())
    }
}

extension Array where Element == UInt8 {
    /// The bytes of a hex text (two digits a byte, either case); nil when it is not one.
    public init?<Text: StringProtocol>(hex text: Text) {
        guard text.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self = bytes
    }

    /// Lowercase hex, as hashes appear in JSON and logs.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
