import ArgumentParser
import Foundation
import RemitCore
import RemitDomain
import RemitPostgres
import RemitStorage

/// `remit verify`: an auditor's check of one region's ledger, straight from its database.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a region's log: positions, hash chain, epoch history, quarantine, and the views against a replay.",
        discussion: """
            Reads one snapshot of the region's database and changes nothing. Exits 0 when everything \
            holds; 1 naming the first bad position and why; 2 when the database can not be read. \
            With --from/--to only that range of the log is checked (from the stored hash before it).
            """
    )

    @Option(help: "The region to verify, in the stack of --data-dir (default: the first of --regions).")
    var region: RegionName?

    @Option(help: "The region's database (libpq URL), instead of --region. Default: $REMIT_DATABASE_URL.")
    var databaseURL: String?

    @Option(help: "The first position to verify.")
    var from: Int64?

    @Option(help: "The last position to verify.")
    var to: Int64?

    @Option(name: .customLong("kept"), help: ArgumentHelp(
        "A position and the hash noted for it on an earlier run, as POSITION:HASH (repeatable): the log must still hold it.",
        valueName: "position:hash"))
    var keptHashes: [String] = []

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var stack: StackOptions

    func validate() throws {
        if let from, from < 1 { throw ValidationError("--from is a position, 1 or more") }
        if let to, to < 1 { throw ValidationError("--to is a position, 1 or more") }
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
        if region != nil && databaseURL != nil { throw ValidationError("pass --region or --database-url, not both") }
        _ = try kept()
    }

    /// `--kept` values, each POSITION:HASH with a 64-digit lowercase hex hash.
    func kept() throws -> [LedgerAuditor.KeptHash] {
        try keptHashes.map { text in
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let position = Int64(parts[0]), position > 0, parts[1].count == 64,
                let hash = [UInt8](hex: parts[1])
            else { throw ValidationError("--kept \(text.prefix(80)): expected POSITION:HASH, the hash as 64 hex digits") }
            return LedgerAuditor.KeptHash(position: position, hash: hash)
        }
    }

    func run() async throws {
        let pool = PostgresPool(url: try stack.regionDatabaseURL(region, databaseURL), connectionsMax: 1, applicationName: "remit verify")
        let drawsProgress = !json && isatty(STDERR_FILENO) == 1
        let report: LedgerAuditor.Report
        do {
            report = try await LedgerAuditor.audit(pool, from: from, through: to, kept: try kept()) { phase, done, total in
                if drawsProgress { ProgressBar.draw(done: done, total: total, unit: phase == "log" ? "events" : "remittances") }
            }
        } catch {
            await pool.close()
            FileHandle.standardError.write(Data("remit verify: can not read the region's database: \(error)\n".utf8))
            throw ExitCode(2)
        }
        await pool.close()
        if drawsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else if let finding = report.finding {
            print("broken at position \(finding.position): \(finding.reason)")
        } else {
            var line = "ok: positions \(report.fromPosition)–\(report.throughPosition), \(report.events) events, head \(report.headHash)"
            if !report.epochsOpened.isEmpty { line += ", epochs opened \(report.epochsOpened.map(String.init).joined(separator: ", "))" }
            if let through = report.viewsThrough {
                line += "; \(report.quarantinedEvents) quarantined events chain from their forks; views through \(through) equal the replay"
                line += " (\(report.remittances) remittances, state hash \(report.viewsStateHash ?? "-"))"
            }
            print(line)
        }
        if !report.ok { throw ExitCode(1) }
    }
}
