import ArgumentParser
import Foundation
import RemitPostgres
import RemitReplication
import RemitSegment

/// `remit export`: a range of a region's log, sealed for offline verification.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a region's log (or a range of it) as sealed segments with a signed manifest, for remit verify --segments.",
        discussion: """
            Reads one snapshot of the region's database and changes nothing. Writes segment files in \
            replication's format, jwks.json (the public keys the log published) and manifest.json \
            (signed with the region's key) into a new or empty directory: docs/export-format.md. \
            Exits 0 when written; 1 when the directory or the range is refused; 2 when the database \
            can not be read.
            """
    )

    @Option(help: ArgumentHelp("The directory to write: new, or empty.", valueName: "directory"))
    var to: String

    @Option(help: "The first position to export (default 1).")
    var from: Int64?

    @Option(help: "The last position to export (default: the region's head).")
    var through: Int64?

    @OptionGroup var database: RegionDatabaseOptions

    func validate() throws {
        if let from, from < 1 { throw ValidationError("--from is a position, 1 or more") }
        if let through, through < 1 { throw ValidationError("--through is a position, 1 or more") }
        if let from, let through, from > through { throw ValidationError("--from \(from) is after --through \(through)") }
    }

    func run() async throws {
        let pool = PostgresPool(url: try database.url, connectionsMax: 1, applicationName: "remit export")
        let drawsProgress = isatty(STDERR_FILENO) == 1
        defer { if drawsProgress { FileHandle.standardError.write(Data("\n".utf8)) } }
        let manifest: ExportManifest
        do {
            manifest = try await LedgerExport.export(pool, to: to, from: from, through: through) { done, total in
                if drawsProgress { ProgressBar.draw(done: done, total: total) }
            }
        } catch let refused as LedgerExport.ExportError {
            await pool.close()
            FileHandle.standardError.write(Data("remit export: \(refused.description)\n".utf8))
            throw ExitCode(1)
        } catch {
            await pool.close()
            FileHandle.standardError.write(Data("remit export: can not read the region's database: \(error)\n".utf8))
            throw ExitCode(2)
        }
        await pool.close()
        let bytes = manifest.segments.reduce(0) { $0 + $1.bytes }
        var line = "exported \(manifest.region)'s positions \(manifest.fromPosition)–\(manifest.throughPosition) into \(to): "
        line += "\(manifest.segments.count) segments, \(bytes) bytes, head \(manifest.headHash)"
        line += manifest.kid.map { ", manifest signed with key \($0)" } ?? ", manifest unsigned (the region has no signing key)"
        print(line)
    }
}
