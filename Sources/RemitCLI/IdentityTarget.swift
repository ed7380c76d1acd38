import ArgumentParser
import Foundation
import RemitCore
import RemitPostgres
import RemitStorage

/// Which databases `remit users` and `remit keys` change: the ones named, or every region's
/// database of the embedded stack. Users live in each region's database until replication
/// carries them, so by default every region gets the change.
struct IdentityTarget: ParsableArguments {
    @Option(help: "A region's database (libpq URL) as REGION=URL; repeat per region. Default: every region in --data-dir.")
    var databaseURL: [String] = []

    @OptionGroup var stack: StackOptions

    func validate() throws {
        _ = try databases()
    }

    func databases() throws -> [(region: String, url: String)] {
        guard databaseURL.isEmpty else {
            return try databaseURL.map { text in
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, RegionName(rawValue: parts[0]) != nil, parts[1].hasPrefix("postgres") else {
                    throw ValidationError("--database-url takes REGION=postgresql://…")
                }
                return (parts[0], parts[1])
            }
        }
        return try stack.regionNames().map { region in (region.rawValue, try stack.databaseURL(region)) }
    }

    /// Runs `body` against each database in turn, each with its own short-lived pool.
    func forEach(_ body: (_ region: String, _ pool: PostgresPool) async throws -> Void) async throws {
        for (region, url) in try databases() {
            let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit cli")
            do {
                try await body(region, pool)
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    /// Who the audit log records for commands run here: the operating-system user (the one
    /// behind sudo, if any).
    static var auditContext: AuditContext {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["SUDO_USER"] ?? environment["USER"] ?? NSUserName()
        return AuditContext(actor: "cli:" + user, source: "cli")
    }
}
