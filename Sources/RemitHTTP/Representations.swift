import Foundation
import RemitDomain
import RemitStorage

/// A remittance as the API shows it: flat, amounts in minor units, times in ISO 8601 UTC.
struct RemittanceBody: Codable, Equatable {
    /// Lowercase, as RFC 9562 writes UUIDs.
    var id: String
    var senderName: String
    var senderBank: String
    var senderAccount: String
    var receiverName: String
    var receiverBank: String
    var receiverAccount: String
    var amount: Int64
    var currency: String
    var reference: String?
    var status: RemittanceStatus
    var version: Int32
    var createdAt: Date
    var updatedAt: Date
    var cancellationReason: String?

    init(_ remittance: Remittance) {
        let d = remittance.details
        id = remittance.id.uuidString.lowercased()
        senderName = d.senderName
        senderBank = d.senderBank
        senderAccount = d.senderAccount
        receiverName = d.receiverName
        receiverBank = d.receiverBank
        receiverAccount = d.receiverAccount
        amount = d.amount
        currency = d.currency
        reference = d.reference
        status = remittance.status
        version = remittance.version
        createdAt = remittance.createdAt
        updatedAt = remittance.updatedAt
        cancellationReason = remittance.cancellationReason
    }
}

struct PageBody: Codable {
    var items: [RemittanceBody]
    /// Opaque to clients: pass it back as `cursor`, with the same filter and sort.
    var nextCursor: String?
    /// With `count=true`: how many remittances match, at most `Limits.tableCountMax`…
    var total: Int64?
    /// …and whether more than that match ("1,000+").
    var totalCapped: Bool?
}

/// An event as the API shows it. `payload` and `metadata` are the exact bytes that were hashed,
/// base64-encoded, so an auditor can recompute every hash from this alone.
struct EventBody: Codable {
    var position: Int64
    var epoch: Int64
    var streamId: String
    var streamVersion: Int32
    var type: String
    var recordedAtMicroseconds: Int64
    var payload: String
    var metadata: String
    var hash: String

    init(_ event: RecordedEvent) {
        position = event.position
        epoch = event.epoch
        streamId = event.streamID.uuidString.lowercased()
        streamVersion = event.streamVersion
        type = event.type
        recordedAtMicroseconds = event.recordedAtMicroseconds
        payload = Data(event.payload).base64EncodedString()
        metadata = Data(event.metadata).base64EncodedString()
        hash = event.hash.hex
    }
}

struct EventPageBody: Codable {
    var items: [EventBody]
    /// The position to ask `after` next; nil when the page reached the head.
    var next: Int64?
}

/// A checkpoint as `GET /api/v1/ledger/checkpoints` lists it: the signed fields, and where the
/// log records it.
struct CheckpointBody: Codable {
    var region: String
    var epoch: Int64
    var position: Int64
    var hash: String
    var atMicroseconds: Int64
    var kid: String
    var signature: String
    var recordedAtPosition: Int64

    init(_ recorded: CheckpointLog.Recorded) {
        let checkpoint = recorded.checkpoint
        (region, epoch, position, hash) = (checkpoint.region, checkpoint.epoch, checkpoint.position, checkpoint.hash)
        (atMicroseconds, kid, signature) = (checkpoint.atMicroseconds, checkpoint.kid, checkpoint.signature)
        recordedAtPosition = recorded.eventPosition
    }
}

struct CheckpointPageBody: Codable {
    var items: [CheckpointBody]
    /// The position to ask `after` next; nil when the page reached the last checkpoint.
    var next: Int64?
}

struct HeadBody: Codable {
    var region: String
    var role: String
    var epoch: Int64
    var position: Int64
    var hash: String
}
