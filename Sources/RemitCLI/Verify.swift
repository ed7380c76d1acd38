import ArgumentParser
import Crypto
import Foundation
import RemitCore
import RemitAuth
import RemitDomain
import RemitHTTP
import RemitPostgres
import RemitSegment
import RemitStorage

/// `remit verify`: an auditor's check of one region's ledger, straight from its database.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a region's log: positions, hash chain, epoch history, quarantine, and the views against a replay.",
        discussion: """
            Reads one snapshot of the region's database and changes nothing. Exits 0 when everything \
            holds; 1 naming the first bad position and why; 2 when the database can not be read. \
            With --from/--to only that range of the log is checked (from the stored hash before it). \
            Checkpoints in the log are checked against the keys of --jwks, or else the keys the log itself \
            published; --checkpoints names a file of checkpoints kept from GET /api/v1/ledger/checkpoints, \
            each of which must be genuine and still extended by the log.
            """
    )

    @Option(help: ArgumentHelp("An export of `remit export` to verify instead of a database: no database, no network.", valueName: "directory"))
    var segments: String?

    @Option(help: "The first position to verify.")
    var from: Int64?

    @Option(help: "The last position to verify.")
    var to: Int64?

    @Option(name: .customLong("kept"), help: ArgumentHelp(
        "A position and the hash noted for it on an earlier run, as POSITION:HASH (repeatable): the log must still hold it.",
        valueName: "position:hash"))
    var keptHashes: [String] = []

    @Option(help: ArgumentHelp(
        "A file of checkpoints kept earlier: a page of GET /api/v1/ledger/checkpoints, or an array of its items.",
        valueName: "file"))
    var checkpoints: String?

    @Option(help: ArgumentHelp(
        "Public keys to check checkpoints with: a JWKS file, or a URL such as https://…/.well-known/jwks.json (repeatable).",
        valueName: "file-or-url"))
    var jwks: [String] = []

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var database: RegionDatabaseOptions

    func validate() throws {
        if let from, from < 1 { throw ValidationError("--from is a position, 1 or more") }
        if let to, to < 1 { throw ValidationError("--to is a position, 1 or more") }
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
        if segments != nil && (database.region != nil || database.databaseURL != nil || from != nil || to != nil) {
            throw ValidationError("--segments verifies the whole export it names: pass no --region, --database-url, --from or --to with it")
        }
        if segments != nil && !keptHashes.isEmpty { throw ValidationError("--kept checks a database; with --segments, keep checkpoints (--checkpoints)") }
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

    /// The kept checkpoints and the keys to check them with; a one-line reason when unreadable.
    func evidence() async throws -> LedgerAuditor.Evidence {
        var evidence = LedgerAuditor.Evidence(keptHashes: try kept())
        if let checkpoints {
            guard let data = FileManager.default.contents(atPath: checkpoints) else { throw ValidationError("--checkpoints \(checkpoints): can not read the file") }
            evidence.keptCheckpoints = try KeptCheckpoints.parse(data, file: checkpoints)
        }
        if !jwks.isEmpty {
            var keys: [SigningKey] = []
            for source in jwks {
                do {
                    let document = try JSONDecoder().decode(JWKSDocument.self, from: Data(try await NodeIdentity.fetchJWKS(source)))
                    keys += try document.keys.map(SigningKey.init(publicJWK:))
                } catch {
                    throw ValidationError("--jwks \(source): not a JWKS of P-256 keys (\(error))")
                }
            }
            evidence.keys = keys
        }
        return evidence
    }

    func run() async throws {
        let evidence: LedgerAuditor.Evidence
        do {
            evidence = try await self.evidence()
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("remit verify: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        if let segments { return try verifyExport(segments, evidence) }
        let pool = PostgresPool(url: try database.url, connectionsMax: 1, applicationName: "remit verify")
        let drawsProgress = !json && isatty(STDERR_FILENO) == 1
        let report: LedgerAuditor.Report
        do {
            report = try await LedgerAuditor.audit(pool, from: from, through: to, evidence: evidence) { phase, done, total in
                if drawsProgress { ProgressBar.draw(done: done, total: total, unit: phase == "log" ? "events" : "remittances") }
            }
        } catch {
            await pool.close()
            FileHandle.standardError.write(Data("remit verify: can not read the region's database: \(error)\n".utf8))
            throw ExitCode(2)
        }
        await pool.close()
        if drawsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        try printReport(report, finding: report.finding) {
            var line = "ok: positions \(report.fromPosition)–\(report.throughPosition), \(report.events) events, head \(report.headHash)"
            if !report.epochsOpened.isEmpty { line += ", epochs opened \(report.epochsOpened.map(String.init).joined(separator: ", "))" }
            line += "; \(report.checkpointsVerified) checkpoints signed (keys from \(report.checkpointKeys == "given" ? "--jwks" : "the log"))"
            if report.checkpointsUnchecked > 0 { line += ", \(report.checkpointsUnchecked) with keys not given" }
            if !evidence.keptCheckpoints.isEmpty {
                line += "; \(report.keptCheckpointsHeld) kept checkpoints extended"
                if !report.keptCheckpointsCutOff.isEmpty { line += ", \(report.keptCheckpointsCutOff.count) cut off by a forced failover" }
            }
            if let through = report.viewsThrough {
                line += "; \(report.quarantinedEvents) quarantined events chain from their forks; views through \(through) equal the replay"
                line += " (\(report.remittances) remittances, state hash \(report.viewsStateHash ?? "-"))"
            }
            return line
        }
        if !report.ok { throw ExitCode(1) }
    }

    /// The report as JSON with --json; else one line: the finding, or `okLine()`.
    func printReport<Report: Encodable>(_ report: Report, finding: LogAudit.Finding?, okLine: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else if let finding {
            print("broken at position \(finding.position): \(finding.reason)")
        } else {
            print(okLine())
        }
    }

    /// `--segments DIR`: the export's files only. Keys from --jwks, or else the export's own
    /// copy of the keys its log published (which proves only that the export agrees with itself).
    func verifyExport(_ directory: String, _ evidence: LedgerAuditor.Evidence) throws {
        func fail(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("remit verify: \(message)\n".utf8))
            return ExitCode(2)
        }
        let decoder = JSONDecoder()
        guard let manifestData = FileManager.default.contents(atPath: directory + "/" + ExportManifest.fileName) else {
            throw fail("\(directory) holds no \(ExportManifest.fileName): not an export of remit export, or one cut short")
        }
        guard let manifest = try? decoder.decode(ExportManifest.self, from: manifestData) else {
            throw fail("\(directory)/\(ExportManifest.fileName) is not an export manifest")
        }
        var keys = evidence.keys
        if keys == nil {
            guard let data = FileManager.default.contents(atPath: directory + "/" + ExportManifest.keysFileName),
                let document = try? decoder.decode(JWKSDocument.self, from: data)
            else { throw fail("\(directory) holds no readable \(ExportManifest.keysFileName); pass --jwks") }
            keys = document.keys.compactMap { try? SigningKey(publicJWK: $0) }
        }
        var byKid: [String: P256.Signing.PublicKey] = [:]
        for key in keys ?? [] { byKid[key.kid] = key.publicKey }
        let drawsProgress = !json && isatty(STDERR_FILENO) == 1
        var done: Int64 = 0
        let report = ExportAudit.audit(manifest, keys: byKid, kept: evidence.keptCheckpoints) { name in
            let path = directory + "/" + name
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            guard size <= Limits.segmentResponseBytesMax else { throw ValidationError("\(size) bytes, more than a segment can hold") }
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("no such file") }
            if drawsProgress, let file = manifest.segments.first(where: { $0.file == name }) {
                done = file.lastPosition - manifest.fromPosition + 1
                ProgressBar.draw(done: done, total: manifest.throughPosition - manifest.fromPosition + 1)
            }
            return Array(data)
        }
        if drawsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        try printReport(report, finding: report.finding) {
            var line = "ok: export of \(report.region), positions \(report.fromPosition)–\(report.throughPosition), \(report.segments) segments, "
            line += "\(report.events) events, head \(report.headHash)"
            if !report.epochsOpened.isEmpty { line += ", epochs opened \(report.epochsOpened.map(String.init).joined(separator: ", "))" }
            line += report.manifestSigned ? "; manifest signed by \(manifest.kid ?? "")" : "; the manifest is not signed (the region had no key)"
            line += "; \(report.checkpointsVerified) checkpoints signed (keys from \(evidence.keys == nil ? "the export" : "--jwks"))"
            if report.checkpointsUnchecked > 0 { line += ", \(report.checkpointsUnchecked) with keys not given" }
            if !evidence.keptCheckpoints.isEmpty {
                line += "; \(report.keptCheckpointsHeld) kept checkpoints extended"
                if report.keptCheckpointsCutOff > 0 { line += ", \(report.keptCheckpointsCutOff) cut off by a forced failover" }
                if report.keptCheckpointsOutside > 0 { line += ", \(report.keptCheckpointsOutside) outside the export" }
            }
            return line
        }
        if !report.ok { throw ExitCode(1) }
    }
}

/// A file of checkpoints an auditor kept.
enum KeptCheckpoints {
    static func parse(_ data: Data, file: String) throws -> [LedgerCheckpoint] {
        struct Page: Decodable { var items: [LedgerCheckpoint] }
        let decoder = JSONDecoder()
        if let page = try? decoder.decode(Page.self, from: data) { return page.items }
        if let list = try? decoder.decode([LedgerCheckpoint].self, from: data) { return list }
        if let one = try? decoder.decode(LedgerCheckpoint.self, from: data) { return [one] }
        throw ValidationError("--checkpoints \(file): not checkpoints (a page of GET /api/v1/ledger/checkpoints, or an array of its items)")
    }
}
