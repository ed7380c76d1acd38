import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres

/// A user as anything outside sign-in sees it: never with its password hash.
public struct StoredUser: Sendable, Equatable {
    public var name: UserName
    public var roles: Set<Role>
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
    /// Moves on at every password change and disable; refresh tokens carry the value they
    /// were issued under.
    public var credentialRevision: Int64
}

public enum IdentityError: Error, Equatable, Sendable, CustomStringConvertible {
    case userExists(String)
    case userNotFound(String)
    /// Disabling it would leave nobody able to manage users.
    case lastAdmin(String)

    public var description: String {
        switch self {
        case .userExists(let name): "user \(name) already exists"
        case .userNotFound(let name): "there is no user \(name)"
        case .lastAdmin(let name): "\(name) is the last enabled admin; add another admin first"
        }
    }
}

/// What presenting a refresh token led to.
public enum RefreshOutcome: Sendable, Equatable {
    /// The token was good: it is used up and `user` gets its successor (`nextGeneration`).
    case rotated(StoredUser, nextGeneration: Int64)
    /// An older generation of the family was presented again: someone holds a copy. The whole
    /// family is revoked.
    case reused(user: String)
    /// Revoked, its user disabled, or its password changed since.
    case invalid
}

/// Users, refresh-token families and the audit trail. Every change is an event of the log's
/// system streams, appended at the writer with its audit entry in one transaction
/// (`SystemAppend`); this region's views follow the log. A reader's store refuses changes with
/// `NotWriterError`; it reads, and signs in, from its replicated copy.
public struct IdentityStore: Sendable {
    public let pool: PostgresPool
    /// The region whose database this is, recorded with each audit entry.
    public let region: String
    /// Told the new head after each append (replication long-polls wait on it).
    private let onCommit: @Sendable (Int64) -> Void

    public init(pool: PostgresPool, region: String, onCommit: @escaping @Sendable (Int64) -> Void = { _ in }) {
        self.pool = pool
        self.region = region
        self.onCommit = onCommit
    }

    // MARK: Users

    static let userColumns = "name, array_to_string(roles, ','), disabled, created_at, updated_at, credential_revision"

    static func user(_ row: PostgresRow) throws -> StoredUser {
        let name: String = try row.decode(0)
        let roles: String = try row.decode(1)
        return StoredUser(
            name: UserName(rawValue: name)!, roles: Role.parse(roles.split(separator: ",").map(String.init)) ?? [],
            disabled: try row.decode(2), createdAt: try row.decode(3), updatedAt: try row.decode(4), credentialRevision: try row.decode(5)
        )
    }

    /// Makes the first admin (every role) if the database has no users at all; true if it did.
    /// The row is not in the log yet: the writer's node logs it (`logPending`) when it starts.
    public func bootstrapAdmin(name: UserName, passwordSeal: String) async throws -> Bool {
        try await pool.withTransaction { connection in
            // Serialises concurrent first starts of two nodes on one database.
            try connection.query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            guard try connection.query("SELECT 1 FROM users LIMIT 1").isEmpty else { return false }
            try connection.query(
                "INSERT INTO users (name, password_hash, roles) VALUES ($1, $2, $3)",
                [name.rawValue, passwordSeal, PostgresArray(Role.allCases.map(\.rawValue).sorted())]
            )
            return true
        }
    }

    public func addUser(name: UserName, roles: Set<Role>, passwordSeal: String, by context: AuditContext) async throws -> StoredUser {
        precondition(!roles.isEmpty, "a user holds at least one role")
        return try await audited("user.add", target: name.rawValue, context: context, detail: Self.rolesDetail(roles)) { connection in
            guard try connection.query("SELECT 1 FROM users WHERE name = $1", [name.rawValue]).isEmpty else {
                throw IdentityError.userExists(name.rawValue)
            }
            return [.userAdded(UserAdded(name: name.rawValue, roles: roles.map(\.rawValue), passwordSeal: passwordSeal, disabled: false))]
        } answer: { connection in
            try Self.lockUser(connection, name)
        }
    }

    /// Disables (or enables) a user. Disabling moves the user's credential revision on, which
    /// refuses every refresh token of theirs in every region; access tokens already issued
    /// lapse within their lifetime.
    public func setDisabled(_ name: UserName, _ disabled: Bool, by context: AuditContext) async throws -> StoredUser {
        try await audited(disabled ? "user.disable" : "user.enable", target: name.rawValue, context: context) { connection in
            let user = try Self.lockUser(connection, name)
            if disabled, user.roles.contains(.admin), !user.disabled, try Self.enabledAdmins(connection) <= 1 {
                throw IdentityError.lastAdmin(name.rawValue)
            }
            let named = UserNamed(name: name.rawValue)
            return [disabled ? .userDisabled(named) : .userEnabled(named)]
        } answer: { connection in
            try Self.lockUser(connection, name)
        }
    }

    /// Sets a new password; the user's refresh tokens stop working everywhere.
    public func setPassword(_ name: UserName, passwordSeal: String, by context: AuditContext) async throws -> StoredUser {
        try await audited("user.password", target: name.rawValue, context: context) { connection in
            _ = try Self.lockUser(connection, name)
            return [.userPasswordChanged(UserPasswordChanged(name: name.rawValue, passwordSeal: passwordSeal))]
        } answer: { connection in
            try Self.lockUser(connection, name)
        }
    }

    public func users() async throws -> [StoredUser] {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Self.userColumns) FROM users ORDER BY name LIMIT $1", [Int64(Limits.usersListedMax)]).map(Self.user)
        }
    }

    /// The user and their sealed password, for checking a sign-in and nothing else.
    public func credentials(_ name: UserName) async throws -> (user: StoredUser, passwordSeal: String)? {
        try await pool.withConnection { connection in
            let rows = try connection.query("SELECT \(Self.userColumns), password_hash FROM users WHERE name = $1", [name.rawValue])
            guard let row = rows.first else { return nil }
            return (try Self.user(row), try row.decode(6))
        }
    }

    static func lockUser(_ connection: PostgresConnection, _ name: UserName) throws -> StoredUser {
        guard let row = try connection.query("SELECT \(userColumns) FROM users WHERE name = $1 FOR UPDATE", [name.rawValue]).first else {
            throw IdentityError.userNotFound(name.rawValue)
        }
        return try user(row)
    }

    static func enabledAdmins(_ connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT count(*) FROM users WHERE 'admin' = ANY (roles) AND NOT disabled")[0].decode(0)
    }

    static func rolesDetail(_ roles: Set<Role>) -> String { "roles: " + roles.sorted().map(\.rawValue).joined(separator: ",") }

    // MARK: Refresh tokens

    /// Redeems a refresh token of `family` at `generation` (its signature already checked), at
    /// the writer, serialised with every other append: of two concurrent uses of one token the
    /// second finds it used and revokes the family. A generation above the log's is accepted:
    /// only we sign them, and the rotations that led to it may be in a forced failover's lost tail.
    public func redeemRefreshToken(family: UUID, generation: Int64, user name: String, credentialRevision: Int64) async throws -> RefreshOutcome {
        let region = self.region
        return try await append { connection -> (changes: [SystemAppend.Change], result: RefreshOutcome) in
            let rows = try connection.query("SELECT generation, revoked FROM refresh_families WHERE family = $1 FOR UPDATE", [family])
            if let row = rows.first {
                if try row.decode(1, as: Bool.self) { return ([], .invalid) }
                if generation < (try row.decode(0, as: Int64.self)) {
                    let context = AuditContext(actor: name, source: "token")
                    return ([
                        .init(.refreshFamilyRevoked(RefreshFamilyRevoked(family: family, user: name)), actor: name),
                        .init(.auditRecorded(context.entry(
                            region: region, action: "token.reuse", target: name, outcome: .refused,
                            detail: "a used refresh token was presented again; its sign-in was revoked"
                        )), actor: name),
                    ], .reused(user: name))
                }
            }
            guard let userName = UserName(rawValue: name),
                let row = try connection.query("SELECT \(Self.userColumns) FROM users WHERE name = $1", [userName.rawValue]).first
            else { return ([], .invalid) }
            let user = try Self.user(row)
            guard !user.disabled, user.credentialRevision == credentialRevision else { return ([], .invalid) }
            return (
                [.init(.refreshTokenRotated(RefreshTokenRotated(family: family, user: name, generation: generation)), actor: name)],
                .rotated(user, nextGeneration: generation + 1)
            )
        }.result
    }

    /// Revokes one sign-in (its refresh-token family) in every region.
    public func revokeFamily(_ family: UUID, user: String) async throws {
        _ = try await append { _ in
            ([.init(.refreshFamilyRevoked(RefreshFamilyRevoked(family: family, user: user)), actor: user)], ())
        }
    }

    // MARK: Audit

    public func auditRecords(after position: Int64, limit: Int) async throws -> [AuditRecord] {
        try await pool.withConnection { try AuditLog.read($0, after: position, limit: limit) }
    }

    /// Records an entry for an action that changes nothing else: in the log at the writer,
    /// else (unless `logOnly`, which throws `NotWriterError` then) in this region's outbox,
    /// from where the writer logs it later.
    public func audit(
        _ action: String, target: String, context: AuditContext, outcome: AuditRecord.Outcome, detail: String = "", logOnly: Bool = false
    ) async throws {
        let entry = context.entry(region: region, action: action, target: target, outcome: outcome, detail: detail)
        do {
            _ = try await append { _ in ([.init(.auditRecorded(entry), actor: context.actor)], ()) }
        } catch is NotWriterError where !logOnly {
            try await pool.withConnection { try AuditLog.insertOutbox(entry, $0) }
        }
    }

    /// Records entries made elsewhere under their own ids (the router's alarm changes): in the
    /// log at the writer, else in this region's outbox; an entry sent twice is recorded once.
    public func record(_ entries: [AuditEntry]) async throws {
        do {
            _ = try await logEntries(entries)
        } catch is NotWriterError {
            try await pool.withTransaction { connection in
                for entry in entries { try AuditLog.insertOutbox(entry, connection) }
            }
        }
    }

    /// Entries recorded in this region that the log does not hold yet.
    public func outbox(limit: Int) async throws -> [AuditEntry] {
        try await pool.withConnection { try AuditLog.outbox($0, limit: limit) }
    }

    /// Logs entries another region recorded (or this one's outbox), each once: an entry the
    /// log holds already is skipped. Writer only.
    public func logEntries(_ entries: [AuditEntry]) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        return try await append { connection in
            let logged = Set(try connection.query(
                "SELECT idempotency_key FROM events WHERE idempotency_key = ANY($1)", [PostgresArray(entries.map(\.idempotencyKey))]
            ).map { try $0.decode(0, as: String.self) })
            let fresh = entries.filter { !logged.contains($0.idempotencyKey) }
            return (fresh.map { .init(.auditRecorded($0), actor: $0.actor) }, fresh.count)
        }.result
    }

    /// What this database holds outside the log, read without locking anything (the node asks
    /// every second): whether the region is the writer, and whether users, audit entries or
    /// this region's keys wait to be logged.
    public func pending() async throws -> (isWriter: Bool, users: Bool, outbox: Bool, keys: Bool) {
        let region = self.region
        return try await pool.withConnection { connection in
            let row = try connection.query(
                """
                SELECT coalesce((SELECT role = 'writer' FROM region_state), false),
                       EXISTS (SELECT 1 FROM users WHERE NOT from_log), EXISTS (SELECT 1 FROM audit_outbox),
                       EXISTS (SELECT 1 FROM signing_keys WHERE region = $1
                               AND ((retired_at IS NULL AND logged = 'none') OR (retired_at IS NOT NULL AND logged = 'published')))
                """,
                [region]
            )[0]
            return (try row.decode(0), try row.decode(1), try row.decode(2), try row.decode(3))
        }
    }

    /// At the writer: logs what this database holds outside the log — users made before
    /// identity was in the log (an upgrade, the first admin), sealed with `seal`, and the
    /// outbox. Nothing to do (or not the writer) returns 0; the node calls this periodically.
    public func logPending(seal: @escaping @Sendable (String) -> String) async throws -> Int {
        let users = try await append { connection -> (changes: [SystemAppend.Change], result: Int) in
            let rows = try connection.query(
                "SELECT name, array_to_string(roles, ','), password_hash, disabled FROM users WHERE NOT from_log ORDER BY name FOR UPDATE"
            )
            guard !rows.isEmpty else { return ([], 0) }
            var changes: [SystemAppend.Change] = try rows.map { row in
                .init(.userAdded(UserAdded(
                    name: try row.decode(0), roles: (try row.decode(1, as: String.self)).split(separator: ",").map(String.init),
                    passwordSeal: seal(try row.decode(2)), disabled: try row.decode(3)
                )), actor: "system")
            }
            changes.append(.init(.usersImported(UsersImported(users: Int64(rows.count))), actor: "system"))
            return (changes, rows.count)
        }.result
        var entries = 0
        while true {
            let batch = try await outbox(limit: Limits.auditOutboxBatchMax)
            guard !batch.isEmpty else { break }
            entries += try await logEntries(batch)
            if batch.count < Limits.auditOutboxBatchMax { break }
        }
        return users + entries
    }

    /// Publishes this region's public signing keys in the log and retires the ones it retired,
    /// so every region verifies its tokens from its own database. Writer only.
    public func publishKeys() async throws {
        let region = self.region
        _ = try await append { connection in
            let rows = try connection.query(
                """
                SELECT kid, public_jwk::text, retired_at IS NOT NULL FROM signing_keys
                WHERE region = $1 AND ((retired_at IS NULL AND logged = 'none') OR (retired_at IS NOT NULL AND logged = 'published'))
                ORDER BY created_at, kid
                """,
                [region]
            )
            // Retirements first: a region has one current key, in the log as in each view.
            let changes: [SystemAppend.Change] = try rows.map { row -> (Bool, SystemAppend.Change) in
                let kid: String = try row.decode(0)
                if try row.decode(2, as: Bool.self) {
                    return (true, .init(.signingKeyRetired(SigningKeyRetired(kid: kid, region: region)), actor: "system"))
                }
                return (false, .init(.signingKeyPublished(SigningKeyPublished(kid: kid, region: region, publicJWK: try row.decode(1))), actor: "system"))
            }.sorted { $0.0 && !$1.0 }.map(\.1)
            return (changes, ())
        }
    }

    // MARK: Reconcile

    /// Appends again an identity change a forced failover cut off (`remit reconcile resubmit`);
    /// nil when the log holds it already (an audit entry carried over meanwhile). A user that
    /// exists already, or no longer, makes it a refusal: the operator dismisses it instead.
    public func resubmit(_ event: IdentityEvent, actor: String) async throws -> Int64? {
        try await append { connection -> (changes: [SystemAppend.Change], result: Bool) in
            switch event {
            case .auditRecorded(let entry):
                if try !connection.query("SELECT 1 FROM events WHERE idempotency_key = $1", [entry.idempotencyKey]).isEmpty { return ([], false) }
            case .userAdded(let user):
                if try !connection.query("SELECT 1 FROM users WHERE name = $1", [user.name]).isEmpty { throw IdentityError.userExists(user.name) }
            case .userDisabled(let user), .userEnabled(let user):
                if try connection.query("SELECT 1 FROM users WHERE name = $1", [user.name]).isEmpty { throw IdentityError.userNotFound(user.name) }
            case .userPasswordChanged(let change):
                if try connection.query("SELECT 1 FROM users WHERE name = $1", [change.name]).isEmpty { throw IdentityError.userNotFound(change.name) }
            default: break
            }
            return ([.init(event, actor: actor)], true)
        }.head?.position
    }

    // MARK: Appending

    /// One system append on a pooled connection, telling `onCommit` the new head.
    func append<T: Sendable>(
        _ decide: @escaping @Sendable (PostgresConnection) throws -> (changes: [SystemAppend.Change], result: T)
    ) async throws -> (result: T, head: LogHead?) {
        let appended = try await pool.withConnection { connection in try SystemAppend.append(on: connection, decide) }
        if let head = appended.head { onCommit(head.position) }
        return appended
    }

    /// Appends a change with its audit entry and answers the user as the view then shows it;
    /// a refusal (`IdentityError`) is audited on its own and thrown on.
    func audited(
        _ action: String, target: String, context: AuditContext, detail: String = "",
        _ change: @escaping @Sendable (PostgresConnection) throws -> [IdentityEvent],
        answer: @escaping @Sendable (PostgresConnection) throws -> StoredUser
    ) async throws -> StoredUser {
        let entry = context.entry(region: region, action: action, target: target, outcome: .succeeded, detail: detail)
        do {
            _ = try await append { connection in
                let events = try change(connection)
                return (events.map { .init($0, actor: context.actor) } + [.init(.auditRecorded(entry), actor: context.actor)], ())
            }
        } catch let refusal as IdentityError {
            try await audit(action, target: target, context: context, outcome: .refused, detail: refusal.description)
            throw refusal
        }
        return try await pool.withConnection { try answer($0) }
    }
}
