import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RemitCore
import RemitFailover
import RemitPostgres
import RemitRouter
import RemitStorage
import RemitWire

/// `remit status`: one screen an operator reads first. Each region straight from its database
/// (so it shows a region whose node is down), the router's view of which nodes answer, the
/// newest routing record, and the last runbook execution.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The routing record, each region's role, epoch, head, lag and lease, whether its node answers, the last failover."
    )

    @OptionGroup var stack: StackOptions

    @Option(help: "The router, asked which regions' nodes answer.")
    var routerUrl = "http://127.0.0.1:8080"

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    struct RegionStatus: Codable {
        var region: RegionName
        /// From the region's own database; nil with `databaseProblem` when it could not be read.
        var role: RegionRole?
        var epoch: Int64?
        var headPosition: Int64?
        /// Events the most advanced writer holds that this region does not (0 at the writer).
        var lagEvents: Int64?
        var leaseMillisecondsLeft: Int64?
        var databaseProblem: String?
        /// The router's last readiness check of the region's node: nil when the router did not answer.
        var nodeAnswers: Bool?
        var nodeProblem: String?
    }

    struct Report: Codable {
        var routing: RoutingRecord?
        var activeRegion: RegionName?
        var routerProblem: String?
        var regions: [RegionStatus]
        var lastRunbook: RunbookExecution?
        /// The router's alarms, whether it advises failover, and its automatic failover.
        var alarms: FigureHistory.AlarmReport?
    }

    func run() async throws {
        var regions: [RegionStatus] = [], routing: RoutingRecord?, lastRunbook: RunbookExecution?
        for (name, url) in try stack.regionURLs() {
            var status = RegionStatus(region: name)
            let pool = PostgresPool(url: url, connectionsMax: 1, applicationName: "remit status")
            do {
                if let state = try await RegionStore(pool: pool).current() {
                    (status.role, status.epoch, status.headPosition) = (state.role, state.epoch, state.headPosition)
                    status.leaseMillisecondsLeft = state.leaseMillisecondsLeft
                    if let record = state.routing, routing.map({ $0.revision < record.revision }) ?? true { routing = record }
                } else {
                    status.databaseProblem = "no node has claimed this database yet"
                }
                if let execution = try await RunbookStore(pool: pool).executions(limit: 1, id: nil).first,
                    lastRunbook.map({ $0.startedAt < execution.startedAt }) ?? true
                {
                    lastRunbook = execution
                }
            } catch {
                status.databaseProblem = "\(error)".split(separator: "\n").first.map(String.init)
            }
            await pool.close()
            regions.append(status)
        }
        let writerHead = regions.filter { $0.role == .writer }.compactMap(\.headPosition).max()
        for index in regions.indices {
            if let writerHead, let head = regions[index].headPosition { regions[index].lagEvents = max(0, writerHead - head) }
        }
        var report = Report(routing: routing, regions: regions, lastRunbook: lastRunbook)
        do {
            let view = try await routerView()
            report.activeRegion = view.active
            for index in report.regions.indices {
                let seen = view.regions.first { $0.region == report.regions[index].region }
                report.regions[index].nodeAnswers = seen?.readiness != nil
                report.regions[index].nodeProblem = seen?.readiness == nil ? seen?.reason : nil
            }
            report.alarms = try await routerAsk("/router/alarms")
        } catch {
            report.routerProblem = "\(error)"
        }
        if json {
            print(String(decoding: try RemitJSON.encoder().encode(report), as: UTF8.self))
        } else {
            print(Self.text(report))
        }
    }

    private func routerView() async throws -> RouterReadiness {
        try await routerAsk("/router/regions")
    }

    private func routerAsk<Answer: Decodable>(_ path: String) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: routerUrl + path), timeout: .seconds(3))
        let body = try await response.body.collect(upTo: 1_024 * 1_024)
        guard response.status == .ok else { throw ValidationError("the router answered \(response.status.code) to \(path)") }
        return try RemitJSON.decoder().decode(Answer.self, from: Data(buffer: body))
    }

    static func text(_ report: Report) -> String {
        var lines: [String] = []
        if let routing = report.routing {
            lines.append("routing    \(routing.activeRegion) active, epoch \(routing.epoch), revision \(routing.revision), \(routing.state)")
        } else {
            lines.append("routing    no region holds a routing record")
        }
        lines.append("router     " + (report.routerProblem.map { "does not answer: \($0)" } ?? "sends writes to \(report.activeRegion?.rawValue ?? "no region")"))
        lines.append("")
        lines.append("region   role     epoch  head        lag   lease    node")
        for region in report.regions {
            guard let role = region.role, let epoch = region.epoch, let head = region.headPosition else {
                lines.append("\(pad(region.region.rawValue, 9))database unreachable: \(region.databaseProblem ?? "unknown")")
                continue
            }
            // A reader's row may keep the lease it had as the writer: only the writer's counts.
            let lease = role == .writer ? region.leaseMillisecondsLeft.map { String(format: "%.1f s", Double($0) / 1_000) } ?? "none" : "-"
            let node = region.nodeAnswers.map { $0 ? "answers" : "does not answer: \(region.nodeProblem ?? "unknown")" } ?? "?"
            lines.append(
                pad(region.region.rawValue, 9) + pad(role.rawValue, 9) + pad(String(epoch), 7) + pad(String(head), 12)
                    + pad(region.lagEvents.map(String.init) ?? "-", 6) + pad(lease, 9) + node
            )
        }
        lines.append("")
        if let alarms = report.alarms {
            let raised = alarms.alarms.filter { $0.state != .ok }
            lines.append("alarms     " + (raised.isEmpty ? "none" : raised.map { "\($0.name.rawValue) \($0.state.rawValue): \($0.detail ?? "")" }.joined(separator: "\n           ")))
            if alarms.failoverAdvised { lines.append("           FAILOVER ADVISED: " + alarms.reasons.joined(separator: "; ")) }
            lines.append("auto       " + (alarms.autoFailover.map { "automatic failover \($0.state): \($0.detail)" } ?? "automatic failover off"))
        }
        if let run = report.lastRunbook {
            let took = run.endedAt.map { String(format: "%.0f ms", $0.timeIntervalSince(run.startedAt) * 1_000) } ?? "running"
            lines.append("last failover  \(run.kind) \(run.sourceRegion) → \(run.targetRegion): \(run.state), \(run.startedAt.formatted(.iso8601)), \(took), by \(run.requestedBy)")
        } else {
            lines.append("last failover  none")
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
