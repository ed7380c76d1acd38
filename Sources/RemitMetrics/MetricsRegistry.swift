import Prometheus
import Synchronization

/// A process's metrics, in Prometheus's text format: families made here (names by Prometheus's
/// conventions: base units, `_seconds`, `_bytes`, `_total`; label values always from a bounded
/// set), figures that are read only when scraped (the head, the lag, the pool), and the
/// process's own (`ProcessMetrics`). One per application, never global, so two nodes in one
/// process (as in the tests) keep their figures apart.
public final class MetricsRegistry: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let collectors = Mutex<[@Sendable () async -> Void]>([])

    public init() {
        ProcessMetrics.register(in: self)
    }

    public func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    public func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    public func durations(_ name: String, _ help: String, labels: [(String, String)] = [], buckets: [Duration] = MetricsRegistry.latencyBuckets) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }

    public func values(_ name: String, _ help: String, labels: [(String, String)] = [], buckets: [Double]) -> ValueHistogram {
        registry.makeValueHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }

    /// Runs `collect` before every scrape: figures that are cheaper to read when asked for than
    /// to keep up to date (a query, a snapshot of a status) set their gauges there.
    public func onScrape(_ collect: @escaping @Sendable () async -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// The text a scrape gets.
    public func scrape() async -> [UInt8] {
        for collect in collectors.withLock({ $0 }) { await collect() }
        return registry.emitToBuffer()
    }

    /// From a millisecond to ten seconds: a request, a commit, a runbook step.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

/// A counter that follows a running total kept elsewhere (a status snapshot's figure): each
/// scrape adds what the total grew by. A total that went down (the process it mirrors
/// restarted its count) is taken as a new start.
public final class MirroredCounter: Sendable {
    private let counter: Counter
    private let last = Mutex<Double>(0)

    public init(_ counter: Counter) {
        self.counter = counter
    }

    public func follow(_ total: Double) {
        let grown = last.withLock { last -> Double in
            defer { last = total }
            return total >= last ? total - last : total
        }
        if grown > 0 { counter.increment(by: grown) }
    }
}
