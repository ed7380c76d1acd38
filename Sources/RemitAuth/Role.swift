/// What a user may do. A user may hold several roles; each route names the roles it admits.
public enum Role: String, CaseIterable, Sendable, Codable, Comparable {
    /// Creates, amends, cancels and reads remittances.
    case clerk
    /// Reads everything, the raw ledger and its verification included; writes nothing.
    case auditor
    /// Region status, failover, failback, reconcile; reads.
    case `operator`
    /// Manages users and signing keys.
    case admin

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Roles from their names; nil when one is unknown.
    public static func parse(_ names: some Sequence<String>) -> Set<Role>? {
        var roles = Set<Role>()
        for name in names {
            guard let role = Role(rawValue: name) else { return nil }
            roles.insert(role)
        }
        return roles
    }
}
