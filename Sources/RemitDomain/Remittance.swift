import Crypto
import Foundation

/// What a client may set on a remittance. Every field is checked by `Validation`.
public struct RemittanceDetails: Codable, Sendable, Equatable {
    public var senderName: String
    public var senderBank: String
    public var senderAccount: String
    public var receiverName: String
    public var receiverBank: String
    public var receiverAccount: String
    /// Integer minor units of `currency`; never floating point.
    public var amount: Int64
    /// ISO 4217 code.
    public var currency: String
    public var reference: String?

    public init(
        senderName: String, senderBank: String, senderAccount: String,
        receiverName: String, receiverBank: String, receiverAccount: String,
        amount: Int64, currency: String, reference: String? = nil
    ) {
        self.senderName = senderName
        self.senderBank = senderBank
        self.senderAccount = senderAccount
        self.receiverName = receiverName
        self.receiverBank = receiverBank
        self.receiverAccount = receiverAccount
        self.amount = amount
        self.currency = currency
        self.reference = reference
    }
}

/// The fields an amendment changes; nil means unchanged. `reference` can be cleared with "".
public struct RemittanceChanges: Codable, Sendable, Equatable {
    public var senderName: String?
    public var senderBank: String?
    public var senderAccount: String?
    public var receiverName: String?
    public var receiverBank: String?
    public var receiverAccount: String?
    public var amount: Int64?
    public var currency: String?
    public var reference: String?

    public init(
        senderName: String? = nil, senderBank: String? = nil, senderAccount: String? = nil,
        receiverName: String? = nil, receiverBank: String? = nil, receiverAccount: String? = nil,
        amount: Int64? = nil, currency: String? = nil, reference: String? = nil
    ) {
        self.senderName = senderName
        self.senderBank = senderBank
        self.senderAccount = senderAccount
        self.receiverName = receiverName
        self.receiverBank = receiverBank
        self.receiverAccount = receiverAccount
        self.amount = amount
        self.currency = currency
        self.reference = reference
    }

    /// Every field of `details` as set (the reference only when there is one).
    init(every details: RemittanceDetails) {
        self.init(
            senderName: details.senderName, senderBank: details.senderBank, senderAccount: details.senderAccount,
            receiverName: details.receiverName, receiverBank: details.receiverBank,
            receiverAccount: details.receiverAccount, amount: details.amount, currency: details.currency,
            reference: details.reference
        )
    }

    /// The fields of a payload in `JSONObjectWriter`'s form; nil for any other form or for a
    /// member that is not a field or has the wrong type (JSONDecoder then reads or refuses it).
    init?(canonicalPayload payload: [UInt8]) {
        guard let members = JSONObjectReader.members(payload) else { return nil }
        self.init()
        for member in members {
            switch (member.key, member.value) {
            case ("amount", .integer(let value)): amount = value
            case ("currency", .string(let value)): currency = value
            case ("receiverAccount", .string(let value)): receiverAccount = value
            case ("receiverBank", .string(let value)): receiverBank = value
            case ("receiverName", .string(let value)): receiverName = value
            case ("reference", .string(let value)): reference = value
            case ("senderAccount", .string(let value)): senderAccount = value
            case ("senderBank", .string(let value)): senderBank = value
            case ("senderName", .string(let value)): senderName = value
            default: return nil
            }
        }
    }

    public var isEmpty: Bool { self == RemittanceChanges() }

    /// `details` with these changes laid over it.
    public func applied(to details: RemittanceDetails) -> RemittanceDetails {
        var result = details
        if let senderName { result.senderName = senderName }
        if let senderBank { result.senderBank = senderBank }
        if let senderAccount { result.senderAccount = senderAccount }
        if let receiverName { result.receiverName = receiverName }
        if let receiverBank { result.receiverBank = receiverBank }
        if let receiverAccount { result.receiverAccount = receiverAccount }
        if let amount { result.amount = amount }
        if let currency { result.currency = currency }
        if let reference { result.reference = reference.isEmpty ? nil : reference }
        return result
    }
}

public enum RemittanceStatus: String, Codable, Sendable, CaseIterable {
    case created
    case amended
    case cancelled
}

/// The current state of one remittance: the fold of its events.
public struct Remittance: Codable, Sendable, Equatable {
    public var id: UUID
    public var details: RemittanceDetails
    public var status: RemittanceStatus
    /// The stream version of its last event; what `ETag` and `If-Match` carry.
    public var version: Int32
    public var createdAt: Date
    public var updatedAt: Date
    public var cancellationReason: String?

    public init(id: UUID, details: RemittanceDetails, status: RemittanceStatus, version: Int32, createdAt: Date, updatedAt: Date, cancellationReason: String? = nil) {
        self.id = id
        self.details = details
        self.status = status
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.cancellationReason = cancellationReason
    }
}

extension RemittanceDetails {
    /// The details when `changes` sets every field a remittance must have.
    init?(every changes: RemittanceChanges) {
        guard let senderName = changes.senderName, let senderBank = changes.senderBank,
              let senderAccount = changes.senderAccount, let receiverName = changes.receiverName,
              let receiverBank = changes.receiverBank, let receiverAccount = changes.receiverAccount,
              let amount = changes.amount, let currency = changes.currency else { return nil }
        self.init(
            senderName: senderName, senderBank: senderBank, senderAccount: senderAccount, receiverName: receiverName,
            receiverBank: receiverBank, receiverAccount: receiverAccount, amount: amount, currency: currency,
            reference: changes.reference
        )
    }

    /// SHA-256 (hex) of the details' canonical JSON (which is also their event payload): two
    /// requests with the same fingerprint ask for the same remittance, however their JSON was
    /// spaced or ordered.
    public var fingerprint: String {
        Array(SHA256.hash(data: LedgerEvent.remittanceCreated(self).payload())).hex
    }
}
