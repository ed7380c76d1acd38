import Foundation
import Hummingbird
import RemitCore
import RemitWire
import ServiceLifecycle
import Synchronization

/// The last `Limits.figureHistorySeconds` of the service's key figures, one sample every
/// `Limits.figureSampleMilliseconds`, for the console's charts (`GET /router/history`): the API
/// requests the router answered, their 5xx and p99 latency, events appended per second at the
/// writer, and each region's readiness, role, head, lag and lease. Memory is bounded: a fixed
/// number of samples, and latencies tallied in fixed buckets, never kept one by one.
public final class FigureHistory: Service, Sendable {
    public struct RegionFigures: Codable, Sendable, Equatable {
        public var region: RegionName
        public var ready: Bool
        public var role: RegionRole?
        public var headPosition: Int64?
        /// Events the writer holds that this region does not (0 at the writer).
        public var lagEvents: Int64?
        public var leaseMillisecondsLeft: Int64?
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

    private let checker: HealthChecker?
    private let state = Mutex<(samples: [Sample], tally: Tally, writerHead: (position: Int64, at: Date)?)>(([], Tally(), nil))

    /// - Parameter checker: where `run` reads the regions from (nil: samples are taken by `sample`).
    public init(checker: HealthChecker?) {
        self.checker = checker
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
        let writerHead = regions.compactMap(\.readiness).filter { $0.role == .writer }.map(\.headPosition).max()
        let figures = regions.map { health in
            let readiness = health.readiness
            var lag: Int64?
            if let writerHead, let head = readiness?.headPosition { lag = max(0, writerHead - head) }
            return RegionFigures(
                region: health.region, ready: readiness != nil, role: readiness?.role, headPosition: readiness?.headPosition,
                lagEvents: lag,
                leaseMillisecondsLeft: readiness?.role == .writer ? readiness?.leaseMillisecondsLeft : nil
            )
        }
        state.withLock { current in
            var eventsPerSecond: Double?
            if let writerHead, let before = current.writerHead, now > before.at, writerHead >= before.position {
                eventsPerSecond = Double(writerHead - before.position) / now.timeIntervalSince(before.at)
            }
            if let writerHead { current.writerHead = (writerHead, now) }
            current.samples.append(Sample(
                at: now, requests: current.tally.requests, serverErrors: current.tally.serverErrors,
                p99Milliseconds: Self.percentile(0.99, current.tally.buckets), eventsPerSecond: eventsPerSecond, regions: figures
            ))
            if current.samples.count > Self.samplesMax { current.samples.removeFirst(current.samples.count - Self.samplesMax) }
            current.tally = Tally()
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

    public func run() async throws {
        guard let checker else { return }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Limits.figureSampleMilliseconds))
                self.sample(at: Date(), regions: checker.regions)
            }
        }
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
