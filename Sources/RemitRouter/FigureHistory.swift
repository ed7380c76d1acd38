import Foundation
import Hummingbird
import Logging
import RemitCore
import RemitWire
import Synchronization

/// The router's alarms (`AlarmBoard`), evaluated after every health-check round, and the last
/// `Limits.figureHistorySeconds` of the service's key figures, one sample every
/// `Limits.figureSampleMilliseconds`, for the console's charts (`GET /router/history`): the API
/// requests the router answered, their 5xx and p99 latency, events appended per second at the
/// writer, and each region's readiness, role, head, lag and lease. Memory is bounded: a fixed
/// number of samples, and latencies tallied in fixed buckets, never kept one by one.
public final class FigureHistory: Sendable {
    public struct RegionFigures: Codable, Sendable, Equatable {
        public var region: RegionName
        public var ready: Bool
        public var role: RegionRole?
        public var headPosition: Int64?
        /// Events the writer holds that this region does not (0 at the writer).
        public var lagEvents: Int64?
        public var leaseMillisecondsLeft: Int64?
        /// The region's node's database pool, and the segments it refused since it started.
        public var pool: Readiness.PoolFigures?
        public var segmentsRejected: Int64?

        public init(
            region: RegionName, ready: Bool, role: RegionRole?, headPosition: Int64?, lagEvents: Int64?, leaseMillisecondsLeft: Int64?,
            pool: Readiness.PoolFigures? = nil, segmentsRejected: Int64? = nil
        ) {
            self.pool = pool
            self.segmentsRejected = segmentsRejected
            self.region = region
            self.ready = ready
            self.role = role
            self.headPosition = headPosition
            self.lagEvents = lagEvents
            self.leaseMillisecondsLeft = leaseMillisecondsLeft
        }
    }

    public struct Sample: Codable, Sendable, Equatable {
        public var at: Date
        /// API requests the router answered since the sample before, and how many with a 5xx.
        public var requests: Int64
        public var serverErrors: Int64
        /// The bucket bound below which 99 % of those requests were answered; nil without requests.
        public var p99Milliseconds: Double?
        /// Events the writer appended per second since the sample before (nil when unknown).
        public var eventsPerSecond: Double?
        public var regions: [RegionFigures]

        public init(
            at: Date, requests: Int64, serverErrors: Int64, p99Milliseconds: Double?, eventsPerSecond: Double?, regions: [RegionFigures]
        ) {
            self.at = at
            self.requests = requests
            self.serverErrors = serverErrors
            self.p99Milliseconds = p99Milliseconds
            self.eventsPerSecond = eventsPerSecond
            self.regions = regions
        }
    }

    public struct History: Codable, Sendable, Equatable {
        public var intervalSeconds: Double
        public var samples: [Sample]
    }

    /// Latency buckets' upper bounds, in milliseconds; the last one catches everything slower.
    static let bucketBoundsMilliseconds: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, .infinity]
    static var samplesMax: Int { Int(Limits.figureHistorySeconds * 1_000 / Limits.figureSampleMilliseconds) }

    private struct Tally {
        var requests: Int64 = 0
        var serverErrors: Int64 = 0
        var buckets = [Int64](repeating: 0, count: FigureHistory.bucketBoundsMilliseconds.count)
    }

    /// The alarms as of the newest sample, whether failover is advised, and the latest changes.
    public struct AlarmReport: Codable, Sendable, Equatable {
        public var alarms: [AlarmBoard.Alarm]
        public var failoverAdvised: Bool
        public var reasons: [String]
        /// Newest first, `changesKept` at most.
        public var changes: [AlarmBoard.Change]
        /// The automatic forced failover's state; absent when it is off.
        public var autoFailover: AutoFailover.Status?
    }

    static let changesKept = 50

    private let logger: Logger
    /// Told every alarm change (the router records them in the audit trail).
    private let onAlarmChanges: @Sendable ([AlarmBoard.Change]) -> Void
    private let state: Mutex<(samples: [Sample], tally: Tally, writerHead: (position: Int64, at: Date)?, board: AlarmBoard, changes: [AlarmBoard.Change])>
    private let lastSampleAt = Mutex<Date?>(nil)

    /// - Parameter checker: whose rounds it follows (nil: samples are taken by `sample`).
    public init(
        checker: HealthChecker?, thresholds: AlarmThresholds = AlarmThresholds(), logger: Logger = Logger(label: "remit.router.alarms"),
        onAlarmChanges: @escaping @Sendable ([AlarmBoard.Change]) -> Void = { _ in }
    ) {
        self.logger = logger
        self.onAlarmChanges = onAlarmChanges
        state = Mutex(([], Tally(), nil, AlarmBoard(thresholds: thresholds), []))
        checker?.observeRounds { [weak self] regions in self?.round(regions, at: Date()) }
    }

    /// After a health-check round: a sample when one is due, else the alarms alone.
    func round(_ regions: [RegionHealth], at now: Date) {
        let due = lastSampleAt.withLock { last in
            guard last.map({ now.timeIntervalSince($0) * 1_000 >= Double(Limits.figureSampleMilliseconds) }) ?? true else { return false }
            last = now
            return true
        }
        if due { sample(at: now, regions: regions) } else { evaluateAlarms(at: now, regions: regions) }
    }

    public var alarms: AlarmReport {
        state.withLock { current in
            let advice = current.board.failoverAdvice
            return AlarmReport(alarms: current.board.alarms, failoverAdvised: advice.advised, reasons: advice.reasons, changes: current.changes)
        }
    }

    /// One API request answered.
    public func record(status: Int, elapsed: Duration) {
        let milliseconds = elapsed.milliseconds
        let bucket = Self.bucketBoundsMilliseconds.firstIndex { milliseconds <= $0 } ?? Self.bucketBoundsMilliseconds.count - 1
        state.withLock { state in
            state.tally.requests += 1
            if status >= 500 { state.tally.serverErrors += 1 }
            state.tally.buckets[bucket] += 1
        }
    }

    /// Closes the current interval: its requests, and the regions as last seen.
    public func sample(at now: Date, regions: [RegionHealth]) {
        look(at: now, regions: regions, keep: true)
    }

    /// Evaluates the alarms between two samples: the samples kept and, as the newest, one of
    /// the interval so far (not kept: the next sample counts its requests), so that an alarm
    /// fires within a health check of its time, not of the sample interval.
    public func evaluateAlarms(at now: Date, regions: [RegionHealth]) {
        look(at: now, regions: regions, keep: false)
    }

    private func look(at now: Date, regions: [RegionHealth], keep: Bool) {
        let writerHead = regions.compactMap(\.readiness).filter { $0.role == .writer }.map(\.headPosition).max()
        let figures = regions.map { health in
            let readiness = health.readiness
            var lag: Int64?
            if let writerHead, let head = readiness?.headPosition { lag = max(0, writerHead - head) }
            return RegionFigures(
                region: health.region, ready: readiness != nil, role: readiness?.role, headPosition: readiness?.headPosition,
                lagEvents: lag,
                leaseMillisecondsLeft: readiness?.role == .writer ? readiness?.leaseMillisecondsLeft : nil,
                pool: readiness?.pool, segmentsRejected: readiness?.segmentsRejected.map { $0.values.reduce(0, +) }
            )
        }
        let changes = state.withLock { current in
            var eventsPerSecond: Double?
            if let writerHead, let before = current.writerHead, now > before.at, writerHead >= before.position {
                eventsPerSecond = Double(writerHead - before.position) / now.timeIntervalSince(before.at)
            }
            let sample = Sample(
                at: now, requests: current.tally.requests, serverErrors: current.tally.serverErrors,
                p99Milliseconds: Self.percentile(0.99, current.tally.buckets), eventsPerSecond: eventsPerSecond, regions: figures
            )
            let changes: [AlarmBoard.Change]
            if keep {
                if let writerHead { current.writerHead = (writerHead, now) }
                current.samples.append(sample)
                if current.samples.count > Self.samplesMax { current.samples.removeFirst(current.samples.count - Self.samplesMax) }
                current.tally = Tally()
                changes = current.board.evaluate(current.samples)
            } else {
                changes = current.board.evaluate(current.samples + [sample])
            }
            current.changes = Array((changes.reversed() + current.changes).prefix(Self.changesKept))
            return changes
        }
        onAlarmChanges(changes)
        for change in changes {
            logger.warning(change.state == .firing ? "alarm firing" : "alarm resolved", metadata: [
                "alarm": .string(change.name.rawValue), "detail": .string(change.detail ?? ""),
            ])
        }
    }

    public var history: History {
        History(intervalSeconds: Double(Limits.figureSampleMilliseconds) / 1_000, samples: state.withLock { $0.samples })
    }

    /// The upper bound of the bucket that holds the `fraction`th request; nil without requests.
    static func percentile(_ fraction: Double, _ buckets: [Int64]) -> Double? {
        let total = buckets.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int64((Double(total) * fraction).rounded(.up))
        var seen: Int64 = 0
        for (index, count) in buckets.enumerated() {
            seen += count
            if seen >= rank { return bucketBoundsMilliseconds[index].isFinite ? bucketBoundsMilliseconds[index] : bucketBoundsMilliseconds[index - 1] }
        }
        return nil
    }
}

/// Tallies every `/api` request the router answers into the history.
struct FigureHistoryMiddleware<Context: RequestContext>: RouterMiddleware {
    let history: FigureHistory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            history.record(status: response.status.code, elapsed: ContinuousClock.now - started)
            return response
        } catch {
            history.record(status: (error as? any HTTPResponseError)?.status.code ?? 500, elapsed: ContinuousClock.now - started)
            throw error
        }
    }
}
