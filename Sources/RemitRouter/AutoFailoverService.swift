import AsyncHTTPClient
import Foundation
import Logging
import RemitCore
import RemitWire
import ServiceLifecycle
import Synchronization

/// Drives `AutoFailover`: after every round of health checks it shows the regions to the decision core
/// and, when that fires, asks the target's node to run the forced failover (signed with the
/// deployment key; the node checks its own lag again and records the runbook and its audit).
final class AutoFailoverService: Service, Sendable {
    private let client: HTTPClient
    private let key: ReplicationKey
    private let logger: Logger
    private let core: Mutex<AutoFailover>
    /// Each round's regions, newest only: a decision needs no history beyond the core's.
    private let rounds: AsyncStream<[RegionHealth]>

    init(policy: AutoFailover.Policy, checker: HealthChecker, client: HTTPClient, key: ReplicationKey, logger: Logger) {
        self.client = client
        self.key = key
        self.logger = logger
        core = Mutex(AutoFailover(policy: policy))
        rounds = checker.rounds()
    }

    var status: AutoFailover.Status { core.withLock { $0.status } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await regions in self.rounds { await self.observe(regions) }
        }
    }

    func observe(_ regions: [RegionHealth]) async {
        let decision = core.withLock { $0.observe(regions, at: Date()) }
        guard case .fire(let target, let lagEvents) = decision, let url = regions.first(where: { $0.region == target })?.url else { return }
        logger.critical("automatic forced failover", metadata: ["target": "\(target)", "lagEvents": "\(lagEvents)"])
        let outcome = await ask(url, lagEventsMax: core.withLock { $0.policy.lagEventsMax })
        logger.critical("automatic forced failover ended", metadata: ["target": "\(target)", "outcome": "\(outcome)"])
        core.withLock { $0.outcome(outcome) }
    }

    private func ask(_ url: String, lagEventsMax: Int64) async -> String {
        let request = key.signedRequest(
            url, method: .POST, pathAndQuery: AutomaticFailoverRequest.pathAndQuery(lagEventsMax: lagEventsMax), region: LeaseRenewal.routerPrincipal
        )
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Limits.autoFailoverRequestMilliseconds))
            let body = try await response.body.collect(upTo: 64 * 1024)
            if response.status == .ok { return "succeeded" }
            let detail = (try? RemitJSON.decoder().decode(Problem.self, from: Data(buffer: body)))?.detail
            return "failed: \(response.status.code) \(detail ?? "")"
        } catch {
            return "failed: \(error)"
        }
    }
}
