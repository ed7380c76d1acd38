import ArgumentParser
import Foundation
import RemitAuth
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStack
import RemitStorage
import RemitWire

/// Which databases `remit users` and `remit keys` work on: the ones named, or every region's
/// database of the embedded stack. Users are in the log: a change is made at the writer (the
/// one region that accepts it) and reaches the others by replication.
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

    /// Runs `body` on the writer's database: each region's in turn until one accepts the change
    /// (the others refuse with `NotWriterError` and change nothing).
    func onWriter(_ body: (_ region: String, _ pool: PostgresPool) async throws -> Void) async throws {
        var refusals: [String] = []
        for (region, url) in try databases() {
            let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit cli")
            do {
                try await body(region, pool)
                await pool.close()
                return
            } catch let refusal as NotWriterError {
                await pool.close()
                refusals.append(refusal.description)
            } catch {
                await pool.close()
                throw error
            }
        }
        throw ValidationError("no region took the change, none is the writer: " + refusals.joined(separator: "; "))
    }

    /// Seals password hashes for the log with the deployment key: REMIT_REPLICATION_KEY, else
    /// the embedded stack's key file; without either, nothing is sealed (a lone node).
    var seal: CredentialSeal {
        let hex = ProcessInfo.processInfo.environment["REMIT_REPLICATION_KEY"]
            ?? (try? String(contentsOfFile: EmbeddedStack.replicationKeyFile(dataDirectory: stack.absoluteDataDirectory), encoding: .utf8))
        return CredentialSeal(key: hex.flatMap(ReplicationKey.init(hex:))?.credentialSealKey)
    }

    /// Who the audit log records for commands run here: the operating-system user (the one
    /// behind sudo, if any).
    static var auditContext: AuditContext {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["SUDO_USER"] ?? environment["USER"] ?? NSUserName()
        return AuditContext(actor: "cli:" + user, source: "cli")
    }
}
