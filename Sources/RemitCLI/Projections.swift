import ArgumentParser
import Foundation
import RemitCore
import RemitPostgres
import RemitStorage

struct Projections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Maintain the views built from the log.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild every view from position 0, aside, and put it in place (readers see the old views until then).",
            discussion: """
                The views are folded from the log into a table aside and compared with the live ones; the rows \
                that differ are rewritten. When more than \(Limits.rebuildRewriteRowsMax) differ, or with --full, \
                the new table gets the live table's indexes and is swapped in instead.
                """
        )

        @Option(help: "The region's database (libpq URL). Default: $REMIT_DATABASE_URL.")
        var databaseURL: String?

        @Flag(help: "Swap in a newly indexed table however few rows differ (also compacts the table and its indexes).")
        var full = false

        func run() async throws {
            let pool = PostgresPool(url: try resolveDatabaseURL(databaseURL), connectionsMax: Limits.rebuildConnectionsMax, applicationName: "remit projections rebuild")
            let rebuilt: ViewRebuild.Rebuilt
            do {
                rebuilt = try await Projector.rebuild(pool: pool, full: full) { progress in
                    switch progress {
                    case .folding(let events, let head): ProgressBar.draw(done: events, total: head)
                    case .comparing: FileHandle.standardError.write(Data("\ncomparing with the live views".utf8))
                    case .rewriting: break
                    case .indexing(let built, let indexes): ProgressBar.draw(done: Int64(built), total: Int64(indexes), unit: "indexes")
                    }
                }
            } catch {
                await pool.close()
                throw error
            }
            await pool.close()
            func seconds(_ duration: Duration) -> String { String(format: "%.1f s", duration.milliseconds / 1_000) }
            print(
                "\nrebuilt the views through position \(rebuilt.position) in \(seconds(rebuilt.foldDuration + rebuilt.replaceDuration)): "
                    + "folded and loaded in \(seconds(rebuilt.foldDuration)), then \(rebuilt.replaced.summary): \(seconds(rebuilt.replaceDuration))"
            )
        }
    }
}

/// A one-line progress bar on standard error, redrawn in place.
enum ProgressBar {
    static let width = 40

    static func draw(done: Int64, total: Int64, unit: String = "events") {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))% \(done)/\(total) \(unit)".utf8))
    }
}
