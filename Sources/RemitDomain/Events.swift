import Foundation

/// Opens a writer's term: the first event of every epoch. The first event of the log is
/// `EpochStarted(epoch: 1, writer: <first writer>, afterPosition: 0, previousHash: zeros)`.
public struct EpochStarted: Codable, Sendable, Equatable {
    public var epoch: Int64
    public var writer: String
    /// The position of the last event of the previous epoch (0 for the first epoch).
    public var afterPosition: Int64
    /// The hash of that event, lowercase hex (64 zeros for the first epoch).
    public var previousHash: String

    public init(epoch: Int64, writer: String, afterPosition: Int64, previousHash: String) {
        self.epoch = epoch
        self.writer = writer
        self.afterPosition = afterPosition
        self.previousHash = previousHash
    }
}

public struct RemittanceCancelled: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// Every kind of event the log holds. The payload of each is its fields as JSON with sorted keys.
public enum LedgerEvent: Sendable, Equatable {
    case epochStarted(EpochStarted)
    /// Its stream id is the remittance id; the payload is the details.
    case remittanceCreated(RemittanceDetails)
    /// The payload holds only the changed fields.
    case remittanceAmended(RemittanceChanges)
    case remittanceCancelled(RemittanceCancelled)
    /// Users, token families, keys and the audit trail (the system streams).
    case identity(IdentityEvent)

    /// The stream of ledger-wide events (epochs); remittance streams use the remittance id.
    public static let ledgerStreamID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    public static let remittanceCreatedType = "RemittanceCreated"

    public var type: String {
        switch self {
        case .epochStarted: "EpochStarted"
        case .remittanceCreated: Self.remittanceCreatedType
        case .remittanceAmended: "RemittanceAmended"
        case .remittanceCancelled: "RemittanceCancelled"
        case .identity(let event): event.type
        }
    }

    /// The payload's bytes as stored and hashed: the fields as JSON with sorted keys, absent
    /// optionals left out, no insignificant white space: one value has one encoding.
    public func payload() -> [UInt8] {
        var writer = JSONObjectWriter()
        switch self {
        case .epochStarted(let event):
            writer.field("afterPosition", event.afterPosition)
            writer.field("epoch", event.epoch)
            writer.field("previousHash", event.previousHash)
            writer.field("writer", event.writer)
        case .remittanceCreated(let details):
            Self.write(RemittanceChanges(every: details), to: &writer)
        case .remittanceAmended(let changes):
            Self.write(changes, to: &writer)
        case .remittanceCancelled(let event):
            writer.field("reason", event.reason)
        case .identity(let event):
            event.write(to: &writer)
        }
        return writer.finished()
    }

    /// The remittance fields that are set, in key order.
    private static func write(_ c: RemittanceChanges, to writer: inout JSONObjectWriter) {
        writer.field("amount", c.amount)
        writer.field("currency", c.currency)
        writer.field("receiverAccount", c.receiverAccount)
        writer.field("receiverBank", c.receiverBank)
        writer.field("receiverName", c.receiverName)
        writer.field("reference", c.reference)
        writer.field("senderAccount", c.senderAccount)
        writer.field("senderBank", c.senderBank)
        writer.field("senderName", c.senderName)
    }

    public struct UnknownEvent: Error, CustomStringConvertible {
        public let type: String
        public let reason: String
        public var description: String { "can not read event \(type): \(reason)" }
    }

    public static func decode(type: String, payload: [UInt8]) throws(UnknownEvent) -> LedgerEvent {
        if let event = canonicalRemittanceEvent(type: type, payload: payload) { return event }
        let decoder = JSONDecoder()
        let data = Data(payload)
        do {
            switch type {
            case "EpochStarted": return .epochStarted(try decoder.decode(EpochStarted.self, from: data))
            case remittanceCreatedType: return .remittanceCreated(try decoder.decode(RemittanceDetails.self, from: data))
            case "RemittanceAmended": return .remittanceAmended(try decoder.decode(RemittanceChanges.self, from: data))
            case "RemittanceCancelled": return .remittanceCancelled(try decoder.decode(RemittanceCancelled.self, from: data))
            case let type where IdentityEvent.types.contains(type): return .identity(try IdentityEvent.decode(type: type, data: data))
            default: throw UnknownEvent(type: type, reason: "unknown type")
            }
        } catch let error as UnknownEvent {
            throw error
        } catch {
            throw UnknownEvent(type: type, reason: "\(error)")
        }
    }

    /// A remittance event whose payload is in `JSONObjectWriter`'s form, read without
    /// JSONDecoder: these are nearly every event a replay, a verify or a projector reads. Nil for
    /// any other type or form, and for a payload JSONDecoder would refuse or read differently.
    private static func canonicalRemittanceEvent(type: String, payload: [UInt8]) -> LedgerEvent? {
        switch type {
        case remittanceCreatedType:
            RemittanceChanges(canonicalPayload: payload).flatMap(RemittanceDetails.init(every:)).map(LedgerEvent.remittanceCreated)
        case "RemittanceAmended":
            RemittanceChanges(canonicalPayload: payload).map(LedgerEvent.remittanceAmended)
        case "RemittanceCancelled":
            JSONObjectReader.members(payload).flatMap { members in
                guard members.count == 1, members[0].key == "reason", case .string(let reason) = members[0].value else { return nil }
                return .remittanceCancelled(RemittanceCancelled(reason: reason))
            }
        default: nil
        }
    }
}

/// Who caused an event and through which request; stored and hashed with it.
public struct EventMetadata: Codable, Sendable, Equatable {
    public var actor: String
    public var requestID: String?
    public var idempotencyKey: String?
    /// SHA-256 (hex) of the create request, to tell a retry from a different request with a reused key.
    public var requestHash: String?
    /// The W3C trace id of the request (32 hex digits), to follow it from the router's log to
    /// the node's log to the ledger.
    public var traceID: String?

    public init(actor: String, requestID: String? = nil, idempotencyKey: String? = nil, requestHash: String? = nil, traceID: String? = nil) {
        self.actor = actor
        self.requestID = requestID
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.traceID = traceID
    }

    /// A string member of stored metadata bytes, read without a full JSON decode (a reader
    /// applies tens of thousands of events a second). Metadata is one flat object written by
    /// `bytes()`: a member name can only appear unescaped as a member name. Values with
    /// escapes in them take the full decode.
    public static func string(_ member: Member, in metadata: [UInt8]) -> String? {
        let pattern = Array("\"\(member.rawValue)\":\"".utf8)
        guard metadata.count > pattern.count else { return nil }
        var start = 0
        search: while start + pattern.count <= metadata.count {
            for offset in 0..<pattern.count where metadata[start + offset] != pattern[offset] {
                start += 1
                continue search
            }
            var end = start + pattern.count
            while end < metadata.count, metadata[end] != UInt8(ascii: "\""), metadata[end] != UInt8(ascii: "\\") { end += 1 }
            guard end < metadata.count, metadata[end] == UInt8(ascii: "\"") else { break search }
            return String(decoding: metadata[(start + pattern.count)..<end], as: UTF8.self)
        }
        return (try? JSONDecoder().decode(EventMetadata.self, from: Data(metadata))).flatMap { member.value(in: $0) }
    }

    /// The members `string(_:in:)` reads.
    public enum Member: String, Sendable {
        case actor, idempotencyKey

        func value(in metadata: EventMetadata) -> String? {
            switch self {
            case .actor: metadata.actor
            case .idempotencyKey: metadata.idempotencyKey
            }
        }
    }

    /// The metadata's bytes as stored and hashed (sorted keys, absent optionals left out).
    public func bytes() -> [UInt8] {
        var writer = JSONObjectWriter()
        writer.field("actor", actor)
        writer.field("idempotencyKey", idempotencyKey)
        writer.field("requestHash", requestHash)
        writer.field("requestID", requestID)
        writer.field("traceID", traceID)
        return writer.finished()
    }
}
