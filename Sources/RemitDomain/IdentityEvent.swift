import Foundation

/// Who may use Remit and what they did with it, as events of the log's two system streams:
/// identity (users, refresh-token families, public signing keys) and audit. They are written
/// only by the writer region, in the append transaction, and reach every reader in the same
/// verified segments as transfers: one history of who may do what, hash-chained, quarantined
/// like any other event when a forced failover cuts a tail off.
public enum IdentityEvent: Sendable, Equatable {
    case userAdded(UserAdded)
    case userDisabled(UserNamed)
    case userEnabled(UserNamed)
    case userPasswordChanged(UserPasswordChanged)
    /// Users made before identity was in the log (an upgrade, the first admin) are now in it:
    /// a reader drops the rows it had of its own.
    case usersImported(UsersImported)
    case refreshTokenRotated(RefreshTokenRotated)
    case refreshFamilyRevoked(RefreshFamilyRevoked)
    case signingKeyPublished(SigningKeyPublished)
    case signingKeyRetired(SigningKeyRetired)
    case auditRecorded(AuditEntry)
    /// The writer signed its log's head (the event just before this one).
    case checkpointSigned(LedgerCheckpoint)

    /// Users, token families and public keys.
    public static let identityStreamID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))
    /// The audit trail: one entry per event, in log order.
    public static let auditStreamID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2))
    /// The writers' signed checkpoints (`LedgerCheckpoint`), in log order.
    public static let checkpointStreamID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3))
    /// Every stream that is not a remittance's, but the ledger's own (epochs).
    public static let systemStreamIDs = [identityStreamID, auditStreamID, checkpointStreamID]

    public var streamID: UUID {
        switch self {
        case .auditRecorded: Self.auditStreamID
        case .checkpointSigned: Self.checkpointStreamID
        default: Self.identityStreamID
        }
    }

    public var type: String {
        switch self {
        case .userAdded: "UserAdded"
        case .userDisabled: "UserDisabled"
        case .userEnabled: "UserEnabled"
        case .userPasswordChanged: "UserPasswordChanged"
        case .usersImported: "UsersImported"
        case .refreshTokenRotated: "RefreshTokenRotated"
        case .refreshFamilyRevoked: "RefreshFamilyRevoked"
        case .signingKeyPublished: "SigningKeyPublished"
        case .signingKeyRetired: "SigningKeyRetired"
        case .auditRecorded: "AuditRecorded"
        case .checkpointSigned: "CheckpointSigned"
        }
    }

    static let types: Set<String> = [
        "UserAdded", "UserDisabled", "UserEnabled", "UserPasswordChanged", "UsersImported", "RefreshTokenRotated",
        "RefreshFamilyRevoked", "SigningKeyPublished", "SigningKeyRetired", "AuditRecorded", "CheckpointSigned",
    ]

    /// The payload's bytes: fields as JSON with sorted keys, as `LedgerEvent.payload()`.
    func write(to writer: inout JSONObjectWriter) {
        switch self {
        case .userAdded(let event):
            writer.field("disabled", event.disabled)
            writer.field("name", event.name)
            writer.field("passwordSeal", event.passwordSeal)
            writer.field("roles", event.roles.joined(separator: ","))
        case .userDisabled(let event), .userEnabled(let event):
            writer.field("name", event.name)
        case .userPasswordChanged(let event):
            writer.field("name", event.name)
            writer.field("passwordSeal", event.passwordSeal)
        case .usersImported(let event):
            writer.field("users", event.users)
        case .refreshTokenRotated(let event):
            writer.field("family", event.family.uuidString.lowercased())
            writer.field("generation", event.generation)
            writer.field("user", event.user)
        case .refreshFamilyRevoked(let event):
            writer.field("family", event.family.uuidString.lowercased())
            writer.field("user", event.user)
        case .signingKeyPublished(let event):
            writer.field("kid", event.kid)
            writer.field("publicJWK", event.publicJWK)
            writer.field("region", event.region)
        case .signingKeyRetired(let event):
            writer.field("kid", event.kid)
            writer.field("region", event.region)
        case .auditRecorded(let entry):
            writer.field("action", entry.action)
            writer.field("actor", entry.actor)
            writer.field("atMicroseconds", entry.atMicroseconds)
            writer.field("detail", entry.detail)
            writer.field("entry", entry.entryID.uuidString.lowercased())
            writer.field("outcome", entry.outcome)
            writer.field("region", entry.region)
            writer.field("source", entry.source)
            writer.field("target", entry.target)
        case .checkpointSigned(let checkpoint):
            writer.field("atMicroseconds", checkpoint.atMicroseconds)
            writer.field("epoch", checkpoint.epoch)
            writer.field("hash", checkpoint.hash)
            writer.field("kid", checkpoint.kid)
            writer.field("position", checkpoint.position)
            writer.field("region", checkpoint.region)
            writer.field("signature", checkpoint.signature)
        }
    }

    static func decode(type: String, data: Data) throws -> IdentityEvent {
        let decoder = JSONDecoder()
        switch type {
        case "UserAdded": return .userAdded(try decoder.decode(UserAdded.self, from: data))
        case "UserDisabled": return .userDisabled(try decoder.decode(UserNamed.self, from: data))
        case "UserEnabled": return .userEnabled(try decoder.decode(UserNamed.self, from: data))
        case "UserPasswordChanged": return .userPasswordChanged(try decoder.decode(UserPasswordChanged.self, from: data))
        case "UsersImported": return .usersImported(try decoder.decode(UsersImported.self, from: data))
        case "RefreshTokenRotated": return .refreshTokenRotated(try decoder.decode(RefreshTokenRotated.self, from: data))
        case "RefreshFamilyRevoked": return .refreshFamilyRevoked(try decoder.decode(RefreshFamilyRevoked.self, from: data))
        case "SigningKeyPublished": return .signingKeyPublished(try decoder.decode(SigningKeyPublished.self, from: data))
        case "SigningKeyRetired": return .signingKeyRetired(try decoder.decode(SigningKeyRetired.self, from: data))
        case "AuditRecorded": return .auditRecorded(try decoder.decode(AuditEntry.self, from: data))
        case "CheckpointSigned": return .checkpointSigned(try decoder.decode(LedgerCheckpoint.self, from: data))
        default: throw LedgerEvent.UnknownEvent(type: type, reason: "unknown type")
        }
    }
}

/// A user as the log first records them. The password travels only sealed (see `CredentialSeal`):
/// auditors read the log, and must not be handed anyone's password hash.
public struct UserAdded: Codable, Sendable, Equatable {
    public var name: String
    /// Role names, sorted, comma-separated in the payload.
    public var roles: [String]
    public var passwordSeal: String
    public var disabled: Bool

    public init(name: String, roles: [String], passwordSeal: String, disabled: Bool) {
        self.name = name
        self.roles = roles.sorted()
        self.passwordSeal = passwordSeal
        self.disabled = disabled
    }

    enum CodingKeys: String, CodingKey { case name, roles, passwordSeal, disabled }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        roles = try container.decode(String.self, forKey: .roles).split(separator: ",").map(String.init)
        passwordSeal = try container.decode(String.self, forKey: .passwordSeal)
        disabled = try container.decode(Bool.self, forKey: .disabled)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(roles.joined(separator: ","), forKey: .roles)
        try container.encode(passwordSeal, forKey: .passwordSeal)
        try container.encode(disabled, forKey: .disabled)
    }
}

public struct UserNamed: Codable, Sendable, Equatable {
    public var name: String
    public init(name: String) { self.name = name }
}

public struct UserPasswordChanged: Codable, Sendable, Equatable {
    public var name: String
    public var passwordSeal: String
    public init(name: String, passwordSeal: String) {
        self.name = name
        self.passwordSeal = passwordSeal
    }
}

public struct UsersImported: Codable, Sendable, Equatable {
    /// How many users the import carried (each as its own `UserAdded` before this event).
    public var users: Int64
    public init(users: Int64) { self.users = users }
}

/// A refresh token of `family` at `generation` was redeemed: its successor is `generation + 1`,
/// and presenting any older one again is reuse.
public struct RefreshTokenRotated: Codable, Sendable, Equatable {
    public var family: UUID
    public var user: String
    public var generation: Int64
    public init(family: UUID, user: String, generation: Int64) {
        self.family = family
        self.user = user
        self.generation = generation
    }
}

public struct RefreshFamilyRevoked: Codable, Sendable, Equatable {
    public var family: UUID
    public var user: String
    public init(family: UUID, user: String) {
        self.family = family
        self.user = user
    }
}

/// The public half of a region's token signing key; the private half never leaves its region.
public struct SigningKeyPublished: Codable, Sendable, Equatable {
    public var kid: String
    public var region: String
    /// The JWK as JSON text with sorted keys.
    public var publicJWK: String
    public init(kid: String, region: String, publicJWK: String) {
        self.kid = kid
        self.region = region
        self.publicJWK = publicJWK
    }
}

public struct SigningKeyRetired: Codable, Sendable, Equatable {
    public var kid: String
    public var region: String
    public init(kid: String, region: String) {
        self.kid = kid
        self.region = region
    }
}

/// One line of the audit trail: who did what to what, from where, and how it ended.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// Unique per entry: an entry recorded where it could not be logged (a reader, a region cut
    /// off) is carried to the writer later and logged once, under this id.
    public var entryID: UUID
    /// Where it happened.
    public var region: String
    public var actor: String
    public var source: String
    public var action: String
    public var target: String
    /// succeeded, refused or failed.
    public var outcome: String
    public var detail: String
    /// When it happened, if earlier than the event (an entry carried over later); microseconds.
    public var atMicroseconds: Int64?

    public init(
        entryID: UUID = UUID(), region: String, actor: String, source: String, action: String, target: String,
        outcome: String, detail: String, atMicroseconds: Int64? = nil
    ) {
        self.entryID = entryID
        self.region = region
        self.actor = actor
        self.source = source
        self.action = action
        self.target = target
        self.outcome = outcome
        self.detail = detail
        self.atMicroseconds = atMicroseconds
    }

    enum CodingKeys: String, CodingKey {
        case entryID = "entry", region, actor, source, action, target, outcome, detail, atMicroseconds
    }

    /// The idempotency key the entry's event claims in the log, so it is logged once.
    public var idempotencyKey: String { "audit:" + entryID.uuidString.lowercased() }
}
