import Foundation
import Hummingbird
import RemitWire
import RemitAuth
import RemitCore
import RemitDomain
import RemitStorage

/// A user as the API shows it: never with a password or its hash.
struct UserBody: Codable {
    var name: String
    var roles: [String]
    var disabled: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ user: StoredUser) {
        name = user.name.rawValue
        roles = user.roles.sorted().map(\.rawValue)
        disabled = user.disabled
        createdAt = user.createdAt
        updatedAt = user.updatedAt
    }
}

struct UserListBody: Codable { var items: [UserBody] }

struct AuditPageBody: Codable {
    var items: [AuditRecord]
    var next: Int64?
}

/// User management (admin) and the audit log (auditor, admin). Every change is audited with
/// the principal and client address, in the same transaction as the change.
func addAdminRoutes(to routes: NodeRoutes, identity: NodeIdentity) {
    routes.add(.get, "/api/v1/users", .only(.admin)) { _, _ in
        try jsonResponse(UserListBody(items: try await identity.store.users().map(UserBody.init)))
    }

    routes.add(.post, "/api/v1/users", .only(.admin)) { request, context in
        let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.authBodyBytesMax)
        var reader = FieldReader(body, allowed: ["name", "roles", "password"])
        let nameText = reader.string("name"), roleNames = reader.strings("roles", countMax: Role.allCases.count)
        let password = reader.string("password")
        var errors = reader.errors
        let name = nameText.flatMap(UserName.init(rawValue:))
        if nameText != nil && name == nil { errors.append(FieldError(field: "name", message: UserName.rule)) }
        let roles = roleNames.flatMap { Role.parse($0) }
        if let roleNames, roles == nil || roleNames.isEmpty {
            errors.append(FieldError(field: "roles", message: "must name one or more of " + Role.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        if let password, let problem = Passwords.problem(password) { errors.append(FieldError(field: "password", message: problem)) }
        guard errors.isEmpty, let name, let roles, let password else { throw Problem(DomainError.invalid(errors)) }
        let user = try await identityChange {
            try await identity.store.addUser(
                name: name, roles: roles, passwordSeal: identity.seal.seal(try await identity.hasher.hash(password)), by: auditContext(context)
            )
        }
        var response = try jsonResponse(UserBody(user), status: .created)
        response.headers[.location] = "/api/v1/users/\(name.rawValue)"
        return response
    }

    for (action, disabled) in [("disable", true), ("enable", false)] {
        routes.add(.post, "/api/v1/users/{name}/\(action)", .only(.admin)) { _, context in
            guard let name = context.parameters.get("name").flatMap(UserName.init(rawValue:)) else { throw Problem.badRequest(UserName.rule) }
            let user = try await identityChange { try await identity.store.setDisabled(name, disabled, by: auditContext(context)) }
            return try jsonResponse(UserBody(user))
        }
    }

    routes.add(.get, "/api/v1/audit", .only(.auditor, .admin)) { request, _ in
        let after = try RequestParsing.integer(request, "after", default: 0, range: 0...Int64.max)!
        let limit = try RequestParsing.integer(request, "limit", default: Int64(Limits.pageItemsDefault), range: 1...Int64(Limits.pageItemsMax))!
        let records = try await identity.store.auditRecords(after: after, limit: Int(limit))
        return try jsonResponse(AuditPageBody(items: records, next: records.count == Int(limit) ? records.last?.position : nil))
    }
}

func auditContext(_ context: NodeRequestContext) -> AuditContext {
    AuditContext(actor: context.actor, source: context.clientAddress)
}

/// Runs an identity change, turning its refusals into problems.
private func identityChange<T>(_ change: () async throws -> T) async throws -> T {
    do {
        return try await identityWrite(change)
    } catch let error as IdentityError {
        switch error {
        case .userExists: throw Problem(slug: "user-exists", title: "User exists", status: .conflict, detail: error.description)
        case .userNotFound: throw Problem.notFound(error.description)
        case .lastAdmin: throw Problem(slug: "last-admin", title: "Last admin", status: .conflict, detail: error.description)
        }
    }
}

/// Runs a change of the log's identity stream: a region that is not the writer answers 409
/// `not-writer` (nothing changed; the router sends the request on to the writer).
func identityWrite<T>(_ change: () async throws -> T) async throws -> T {
    do {
        return try await change()
    } catch let error as NotWriterError {
        throw Problem(Appender.Failure.notWriter(error))
    }
}
