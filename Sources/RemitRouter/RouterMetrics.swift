import Prometheus
import RemitCore
import RemitMetrics

/// The router's own figures for `/metrics`: each region as the last health check saw it, which
/// one is active, requests sent on by region and outcome, and how long requests were held for a
/// writer (a failover, a lapsed lease). Regions are the configured ones, so labels stay bounded.
struct RouterMetrics: Sendable {
    let metrics: MetricsRegistry
    private let holds: Counter
    private let holdDurations: DurationHistogram

    init(metrics: MetricsRegistry, checker: HealthChecker, history: FigureHistory) {
        self.metrics = metrics
        holds = metrics.counter("remit_router_holds_total", "Requests held until a writer was seen (a failover, a lapsed lease).")
        holdDurations = metrics.durations("remit_router_hold_duration_seconds", "How long held requests waited for a writer.")
        let regions = checker.regions.map(\.region)
        let up = regions.map { region in
            (region, metrics.gauge("remit_router_region_ready", "1 when the region's node answered its last readiness check, else 0.", labels: [("region", region.rawValue)]))
        }
        let active = regions.map { region in
            (region, metrics.gauge("remit_router_region_active", "1 for the region writes go to now, 0 for the others.", labels: [("region", region.rawValue)]))
        }
        let alarms = AlarmBoard.Name.allCases.map { name in
            (name, metrics.gauge("remit_router_alarm_firing", "1 while the router's alarm fires, else 0.", labels: [("alarm", name.rawValue)]))
        }
        let advised = metrics.gauge("remit_router_failover_advised", "1 while the router advises failover (the writer is gone, another region answers).")
        metrics.onScrape {
            let report = history.alarms
            for (name, gauge) in alarms { gauge.set(to: report.alarms.first { $0.name == name }?.state == .firing ? 1.0 : 0.0) }
            advised.set(to: report.failoverAdvised ? 1 : 0)
            let seen = checker.regions, current = checker.active?.region
            for (region, gauge) in up { gauge.set(to: seen.first { $0.region == region }?.readiness == nil ? 0.0 : 1.0) }
            for (region, gauge) in active { gauge.set(to: region == current ? 1.0 : 0.0) }
        }
    }

    /// A request sent to `region`: `outcome` is the answer's status class (`2xx` … `5xx`),
    /// `unreachable`, or `resent` (the region was not the writer, and the request went on).
    func forwarded(to region: RegionName, outcome: String) {
        metrics.counter(
            "remit_router_forwarded_total", "Requests sent on to a region, by region and outcome.",
            labels: [("region", region.rawValue), ("outcome", outcome)]
        ).increment()
    }

    static func outcome(status: Int) -> String {
        (1...5).contains(status / 100) ? "\(status / 100)xx" : "other"
    }

    /// A request waited `elapsed` for a region to take it.
    func held(_ elapsed: Duration) {
        holds.increment()
        holdDurations.record(elapsed)
    }
}
