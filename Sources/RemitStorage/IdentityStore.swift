import Foundation
import RemitAuth
import RemitCore
import RemitPostgres

/// A user as anything outside sign-in sees it: never with its password hash.
public struct StoredUser: Sendable, Equatable {
    public var name: UserName
    public var roles: Set<Role>
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
}

public enum IdentityError: Error, Equatable, Sendable, CustomStringConvertible {
    case userExists(String)
    case userNotFound(String)
    /// Disabling or demoting it would leave nobody able to manage users.
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
    /// The token was good: it is used up and `user` gets a new one in the same family.
    case rotated(StoredUser)
    /// The token had been used before: someone holds a copy. The whole family is revoked.
    case reused(user: String)
    /// Unknown, expired, revoked, or its user is disabled.
    case invalid
}

/// Users, refresh tokens, signing keys and the audit log of one region's database. Every
/// change is recorded in the audit log in the same transaction as the change itself.
public struct IdentityStore: Sendable {
    public let pool: PostgresPool
    /// The region whose database this is, recorded with each audit line.
    public let region: String

    public init(pool: PostgresPool, region: String) {
        self.pool = pool
        self.region = region
    }

    // MARK: Users

    static let userColumns = "name, array_to_string(roles, ','), disabled, created_at, updated_at"

    static func user(_ row: PostgresRow) throws -> StoredUser {
        let name: String = try row.decode(0)
        let roles: String = try row.decode(1)
        return StoredUser(
            name: UserName(rawValue: name)!, roles: Role.parse(roles.split(separator: ",").map(String.init)) ?? [],
            disabled: try row.decode(2), createdAt: try row.decode(3), updatedAt: try row.decode(4)
        )
    }

    /// Creates the first admin (every role) if the database has no users at all; true if it did.
    public func bootstrapAdmin(name: UserName, passwordHash: String) async throws -> Bool {
        try await pool.withTransaction { connection in
            // Serialises concurrent first starts of two nodes on one database.
            try connection.query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            guard try connection.query("SELECT 1 FROM users LIMIT 1").isEmpty else { return false }
            try Self.insertUser(connection, name: name, roles: Set(Role.allCases), passwordHash: passwordHash)
            try AuditLog.append(connection, region: region, context: AuditContext(actor: "remit", source: "cli"),
                                action: "user.bootstrap", target: name.rawValue, outcome: .succeeded, detail: "roles: every role")
            return true
        }
    }

    public func addUser(name: UserName, roles: Set<Role>, passwordHash: String, by context: AuditContext) async throws -> StoredUser {
        precondition(!roles.isEmpty, "a user holds at least one role")
        return try await audited("user.add", target: name.rawValue, context: context, detail: Self.rolesDetail(roles)) { connection in
            guard try connection.query("SELECT 1 FROM users WHERE name = $1", [name.rawValue]).isEmpty else {
                throw IdentityError.userExists(name.rawValue)
            }
            return try Self.insertUser(connection, name: name, roles: roles, passwordHash: passwordHash)
        }
    }

    /// Disables (or enables) a user. Disabling revokes every refresh token of theirs at once;
    /// access tokens already issued lapse within their lifetime.
    public func setDisabled(_ name: UserName, _ disabled: Bool, by context: AuditContext) async throws -> StoredUser {
        try await audited(disabled ? "user.disable" : "user.enable", target: name.rawValue, context: context) { connection in
            let user = try Self.lockUser(connection, name)
            if disabled, user.roles.contains(.admin), !user.disabled, try Self.enabledAdmins(connection) <= 1 {
                throw IdentityError.lastAdmin(name.rawValue)
            }
            if disabled { try Self.revokeTokens(connection, of: name) }
            return try Self.user(connection.query(
                "UPDATE users SET disabled = $2, updated_at = now() WHERE name = $1 RETURNING \(Self.userColumns)", [name.rawValue, disabled]
            )[0])
        }
    }

    /// Sets a new password and revokes the user's refresh tokens: whoever knew the old one is signed out.
    public func setPassword(_ name: UserName, passwordHash: String, by context: AuditContext) async throws -> StoredUser {
        try await audited("user.password", target: name.rawValue, context: context) { connection in
            _ = try Self.lockUser(connection, name)
            try Self.revokeTokens(connection, of: name)
            return try Self.user(connection.query(
                "UPDATE users SET password_hash = $2, updated_at = now() WHERE name = $1 RETURNING \(Self.userColumns)",
                [name.rawValue, passwordHash]
            )[0])
        }
    }

    public func users() async throws -> [StoredUser] {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Self.userColumns) FROM users ORDER BY name LIMIT $1", [Int64(Limits.usersListedMax)]).map(Self.user)
        }
    }

    /// The user and their password hash, for checking a sign-in and nothing else.
    public func credentials(_ name: UserName) async throws -> (user: StoredUser, passwordHash: String)? {
        try await pool.withConnection { connection in
            let rows = try connection.query("SELECT \(Self.userColumns), password_hash FROM users WHERE name = $1", [name.rawValue])
            guard let row = rows.first else { return nil }
            return (try Self.user(row), try row.decode(5))
        }
    }

    @discardableResult
    static func insertUser(_ connection: PostgresConnection, name: UserName, roles: Set<Role>, passwordHash: String) throws -> StoredUser {
        try user(connection.query(
            "INSERT INTO users (name, password_hash, roles) VALUES ($1, $2, $3) RETURNING \(userColumns)",
            [name.rawValue, passwordHash, PostgresArray(roles.sorted().map(\.rawValue))]
        )[0])
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

    static func revokeTokens(_ connection: PostgresConnection, of name: UserName) throws {
        try connection.query("UPDATE refresh_tokens SET revoked_at = now() WHERE user_name = $1 AND revoked_at IS NULL", [name.rawValue])
    }

    static func rolesDetail(_ roles: Set<Role>) -> String { "roles: " + roles.sorted().map(\.rawValue).joined(separator: ",") }

    // MARK: Refresh tokens

    public func storeRefreshToken(hash: [UInt8], family: UUID, user: UserName, expiresAt: Date) async throws {
        try await pool.withConnection { connection in
            try connection.query(
                "INSERT INTO refresh_tokens (token_hash, family, user_name, expires_at) VALUES ($1, $2, $3, $4)",
                [hash, family, user.rawValue, expiresAt]
            )
        }
    }

    /// Uses up a refresh token and stores its successor, in one transaction, so that two
    /// concurrent uses of one token can not both succeed: the second sees it used and revokes
    /// the family.
    public func redeemRefreshToken(hash: [UInt8], successor: [UInt8], expiresAt: Date, now: Date = Date()) async throws -> RefreshOutcome {
        let region = self.region
        return try await pool.withTransaction { connection in
            let rows = try connection.query(
                "SELECT family, user_name, expires_at, used_at IS NOT NULL, revoked_at IS NOT NULL FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
                [hash]
            )
            guard let row = rows.first else { return .invalid }
            let family: UUID = try row.decode(0), userName: String = try row.decode(1), expires: Date = try row.decode(2)
            let used: Bool = try row.decode(3), revoked: Bool = try row.decode(4)
            if revoked { return .invalid }
            if used {
                try connection.query("UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL", [family])
                try AuditLog.append(connection, region: region, context: AuditContext(actor: userName, source: "token"),
                                    action: "token.reuse", target: userName, outcome: .refused,
                                    detail: "a used refresh token was presented again; its sign-in was revoked")
                return .reused(user: userName)
            }
            guard expires > now else { return .invalid }
            let user = try Self.user(connection.query("SELECT \(Self.userColumns) FROM users WHERE name = $1", [userName])[0])
            guard !user.disabled else { return .invalid }
            try connection.query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", [hash])
            try connection.query(
                "INSERT INTO refresh_tokens (token_hash, family, user_name, expires_at) VALUES ($1, $2, $3, $4)",
                [successor, family, userName, expiresAt]
            )
            return .rotated(user)
        }
    }

    /// Revokes the sign-in a refresh token belongs to; false if the token is unknown.
    public func revokeFamily(ofToken hash: [UInt8]) async throws -> Bool {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                UPDATE refresh_tokens SET revoked_at = now()
                WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL
                """,
                [hash]
            )
            if rows.affectedRows > 0 { return true }
            return try !connection.query("SELECT 1 FROM refresh_tokens WHERE token_hash = $1", [hash]).isEmpty
        }
    }

    // MARK: Audit

    public func auditRecords(after position: Int64, limit: Int) async throws -> [AuditRecord] {
        try await pool.withConnection { try AuditLog.read($0, after: position, limit: limit) }
    }

    /// Appends a record on its own, for actions that change nothing in this database.
    public func audit(_ action: String, target: String, context: AuditContext, outcome: AuditRecord.Outcome, detail: String = "") async throws {
        let region = self.region
        try await pool.withConnection { connection in
            try AuditLog.append(connection, region: region, context: context, action: action, target: target, outcome: outcome, detail: detail)
        }
    }

    /// Runs a change and records it as succeeded in the same transaction; a refusal
    /// (`IdentityError`) is recorded as refused on its own and thrown on.
    func audited<T: Sendable>(
        _ action: String, target: String, context: AuditContext, detail: String = "",
        _ change: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let region = self.region
        do {
            return try await pool.withTransaction { connection in
                let value = try change(connection)
                try AuditLog.append(connection, region: region, context: context, action: action, target: target, outcome: .succeeded, detail: detail)
                return value
            }
        } catch let refusal as IdentityError {
            try await audit(action, target: target, context: context, outcome: .refused, detail: refusal.description)
            throw refusal
        }
    }
}
