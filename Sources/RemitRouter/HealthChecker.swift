import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitWire
import ServiceLifecycle
import Synchronization

/// Asks every region's `/readyz` at a fixed interval and keeps the latest answers.
public final class HealthChecker: Service, Sendable {
    private let configuration: RouterConfiguration
    private let client: HTTPClient
    private let logger: Logger
    /// The latest answers and when the round that got them started.
    private let latest: Mutex<(regions: [RegionHealth], roundStartedAt: ContinuousClock.Instant?)>
    private let lastChecked = Mutex<ContinuousClock.Instant?>(nil)
    private let roundObservers = Mutex<[@Sendable ([RegionHealth]) -> Void]>([])

    public init(configuration: RouterConfiguration, client: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.latest = Mutex((configuration.regions.map { RegionHealth(region: $0.name, url: $0.url) }, nil))
    }

    /// The latest view of every region, in configuration order.
    public var regions: [RegionHealth] { latest.withLock { $0.regions } }

    /// The latest answers with the start of the round that got them: an answer can be no older.
    public var snapshot: (regions: [RegionHealth], roundStartedAt: ContinuousClock.Instant?) { latest.withLock { $0 } }

    /// `observer` gets every region's view after each round of checks, on the checking task
    /// (keep it short): the alarms and the automatic failover see a change within a round.
    public func observeRounds(_ observer: @escaping @Sendable ([RegionHealth]) -> Void) {
        roundObservers.withLock { $0.append(observer) }
    }

    /// Each round's regions for a service that acts on them at its own pace (it may take a
    /// while: a renewal, a failover): only the newest round waits, older ones are dropped.
    func rounds() -> AsyncStream<[RegionHealth]> {
        let (rounds, continuation) = AsyncStream.makeStream(of: [RegionHealth].self, bufferingPolicy: .bufferingNewest(1))
        observeRounds { continuation.yield($0) }
        return rounds
    }

    /// The region that gets traffic now, if any.
    public var active: RegionHealth? { RegionSelection.active(regions) }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.checkAll()
                try? await Task.sleep(for: .milliseconds(self.configuration.healthCheckIntervalMilliseconds))
            }
        }
    }

    /// Checks again unless a check started within `milliseconds`: held requests all ask for
    /// fresh answers during a failover, and this keeps that to one check at a time.
    public func checkAll(ifOlderThan milliseconds: Int64) async {
        let now = ContinuousClock.now
        let due = lastChecked.withLock { last in
            guard last.map({ now - $0 >= .milliseconds(milliseconds) }) ?? true else { return false }
            last = now
            return true
        }
        if due { await checkAll() }
    }

    /// Checks every region once, concurrently.
    public func checkAll() async {
        let started = ContinuousClock.now
        lastChecked.withLock { $0 = started }
        let results = await withTaskGroup(of: RegionHealth.self) { group in
            for region in configuration.regions {
                group.addTask { await self.check(region) }
            }
            var results: [RegionHealth] = []
            for await result in group { results.append(result) }
            return results
        }
        let ordered = configuration.regions.compactMap { region in results.first { $0.region == region.name } }
        let previous = latest.withLock { current in
            defer {
                // Rounds may overlap (held requests ask for fresh ones): keep the newest.
                if current.roundStartedAt.map({ $0 < started }) ?? true { current = (ordered, started) }
            }
            return current.regions
        }
        let current = regions
        for observer in roundObservers.withLock({ $0 }) { observer(current) }
        for (before, after) in zip(previous, ordered) where (before.readiness == nil) != (after.readiness == nil) {
            if after.readiness != nil {
                logger.info("region is ready", metadata: ["region": "\(after.region)"])
            } else {
                logger.warning("region is not ready", metadata: ["region": "\(after.region)", "reason": "\(after.reason ?? "")"])
            }
        }
    }

    private func check(_ region: RouterConfiguration.Region) async -> RegionHealth {
        var health = RegionHealth(region: region.name, url: region.url, reason: nil, checkedAt: Date())
        switch await ReadinessProbe.check(region.url, client: client, timeoutMilliseconds: configuration.healthCheckTimeoutMilliseconds) {
        case .success(let readiness) where readiness.region != region.name:
            health.reason = "answered as region \(readiness.region)"
        case .success(let readiness):
            health.readiness = readiness
        case .failure(let notReady):
            health.reason = notReady.reason
        }
        return health
    }
}
