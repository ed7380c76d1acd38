import ArgumentParser
import Foundation
import RemitFailover
import RemitCore
import RemitPostgres

struct Runbooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show runbook executions (failovers), newest first, or one with every step."
    )

    @Argument(help: "An execution's id: show its steps.")
    var id: String?

    @Option(help: "The region whose record to read (every region keeps one).")
    var region: RegionName?

    @Option(help: "How many executions to list.")
    var limit = 20

    @OptionGroup var stack: StackOptions

    func validate() throws {
        if let id, UUID(uuidString: id) == nil { throw ValidationError("\(id) is not an execution id") }
        guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
    }

    func run() async throws {
        let region = try region ?? stack.regionNames()[0]
        let url = try stack.databaseURL(region)
        let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit runbooks")
        let executions: [RunbookExecution]
        do {
            executions = try await RunbookStore(pool: pool).executions(limit: limit, id: id.flatMap(UUID.init(uuidString:)))
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        if let id, executions.isEmpty { throw ValidationError("no execution \(id) in region \(region)") }
        for execution in executions {
            let took = execution.endedAt.map { String(format: "%.1f s", $0.timeIntervalSince(execution.startedAt)) } ?? "running"
            print("\(execution.id.uuidString.lowercased())  \(execution.kind) \(execution.sourceRegion) → \(execution.targetRegion)  \(execution.state)  \(execution.startedAt.formatted(.iso8601))  \(took)  by \(execution.requestedBy)")
            guard id != nil else { continue }
            for step in execution.steps {
                print("  \(step.name.padding(toLength: 14, withPad: " ", startingAt: 0))\(step.outcome.padding(toLength: 12, withPad: " ", startingAt: 0))\(String(format: "%8.1f", step.milliseconds)) ms  \(step.detail)")
            }
            if !execution.detail.isEmpty { print("  \(execution.detail)") }
        }
    }
}
