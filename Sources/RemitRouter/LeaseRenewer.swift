import AsyncHTTPClient
import Foundation
import Logging
import RemitWire
import RemitCore
import ServiceLifecycle

/// Renews the active writer's lease while the routing record names it active. It renews only
/// on a view of every region's routing record at most `Limits.leaseRecordAgeMillisecondsMax`
/// old, so once a forced failover writes "failing-over" where the router can read it,
/// renewals stop within that bound and the old writer's lease runs out by itself.
///
/// It renews after a round of health checks: every `intervalMilliseconds`, and at once when
/// the round shows the writer's lease short (under two intervals: the router was stalled, or
/// the writer's database was away), so that writes held meanwhile go on as soon as possible.
final class LeaseRenewer: Service, Sendable {
    private let checker: HealthChecker
    private let client: HTTPClient
    private let key: ReplicationKey
    private let leaseMilliseconds: Int64
    private let intervalMilliseconds: Int64
    private let logger: Logger
    private let rounds: AsyncStream<[RegionHealth]>

    init(checker: HealthChecker, client: HTTPClient, key: ReplicationKey, leaseMilliseconds: Int64, intervalMilliseconds: Int64, logger: Logger) {
        precondition(intervalMilliseconds < leaseMilliseconds, "a lease is renewed before it runs out")
        self.checker = checker
        self.client = client
        self.key = key
        self.leaseMilliseconds = leaseMilliseconds
        self.intervalMilliseconds = intervalMilliseconds
        self.logger = logger
        rounds = checker.rounds()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var renewedAt: ContinuousClock.Instant?
            for await regions in self.rounds {
                let due = renewedAt.map { ContinuousClock.now - $0 >= .milliseconds(self.intervalMilliseconds) } ?? true
                let short = RegionSelection.active(regions)?.readiness?.leaseMillisecondsLeft.map { $0 < 2 * self.intervalMilliseconds } ?? false
                guard due || short else { continue }
                renewedAt = ContinuousClock.now
                await self.renewOnce()
            }
        }
    }

    func renewOnce() async {
        let (regions, roundStartedAt) = checker.snapshot
        guard let roundStartedAt, ContinuousClock.now - roundStartedAt <= .milliseconds(Limits.leaseRecordAgeMillisecondsMax) else {
            return  // a stale view: the record may have changed since
        }
        guard let record = RegionSelection.record(regions), record.state == .active,
            let active = RegionSelection.active(regions)
        else { return }
        let pathAndQuery = LeaseRenewal.pathAndQuery(epoch: record.epoch, milliseconds: leaseMilliseconds)
        let request = key.signedRequest(active.url, method: .POST, pathAndQuery: pathAndQuery, region: LeaseRenewal.routerPrincipal)
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Limits.leaseRenewTimeoutMilliseconds))
            _ = try await response.body.collect(upTo: 64 * 1024)
            if response.status != .noContent {
                logger.warning("lease renewal refused", metadata: ["region": "\(active.region)", "status": "\(response.status.code)"])
            }
        } catch {
            logger.warning("lease renewal failed", metadata: ["region": "\(active.region)", "error": "\(error)"])
        }
    }
}
