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
            abstract: "Rebuild every view from position 0, aside, and swap it in (readers see the old views until then)."
        )

        @Option(help: "The region's database (libpq URL). Default: $REMIT_DATABASE_URL.")
        var databaseURL: String?

        func run() async throws {
            let pool = PostgresPool(url: try resolveDatabaseURL(databaseURL), connectionsMax: Limits.rebuildConnectionsMax, applicationName: "remit projections rebuild")
            let rebuilt: ViewRebuild.Rebuilt
            do {
                rebuilt = try await Projector.rebuild(pool: pool) { progress in
                    switch progress {
                    case .folding(let events, let head): ProgressBar.draw(done: events, total: head)
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
                "\nrebuilt the views through position \(rebuilt.position) in \(seconds(rebuilt.foldDuration + rebuilt.indexDuration)): "
                    + "folded and loaded in \(seconds(rebuilt.foldDuration)), indexed and swapped in \(seconds(rebuilt.indexDuration))"
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
