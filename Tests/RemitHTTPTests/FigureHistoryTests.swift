import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RemitCore
import RemitRouter
import RemitWire
import Testing

@Suite("the router's figure history")
struct FigureHistoryTests {
    static let (east, west) = (RegionName(rawValue: "east")!, RegionName(rawValue: "west")!)

    func regions(writerHead: Int64, readerHead: Int64?, lease: Int64 = 4_000) -> [RegionHealth] {
        [
            RegionHealth(region: Self.east, url: "http://e", readiness: Readiness(
                region: Self.east, role: .writer, epoch: 1, headPosition: writerHead, leaseMillisecondsLeft: lease, routing: nil
            ), reason: nil),
            RegionHealth(region: Self.west, url: "http://w", readiness: readerHead.map {
                Readiness(region: Self.west, role: .reader, epoch: 1, headPosition: $0, leaseMillisecondsLeft: 900, routing: nil)
            }, reason: readerHead == nil ? "unreachable" : nil),
        ]
    }

    @Test("a sample holds the interval's requests, 5xx and p99, the writer's events per second, each region's lag and the writer's lease")
    func samples() throws {
        let history = FigureHistory(checker: nil)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        history.sample(at: start, regions: regions(writerHead: 100, readerHead: 100))
        for _ in 0..<98 { history.record(status: 201, elapsed: .milliseconds(3)) }
        history.record(status: 503, elapsed: .milliseconds(40))
        history.record(status: 500, elapsed: .milliseconds(700))
        history.sample(at: start.addingTimeInterval(5), regions: regions(writerHead: 600, readerHead: 450))
        let samples = history.history.samples
        #expect(samples.count == 2 && history.history.intervalSeconds == 5)
        #expect(samples[0].requests == 0 && samples[0].p99Milliseconds == nil && samples[0].eventsPerSecond == nil)
        let last = try #require(samples.last)
        #expect(last.requests == 100 && last.serverErrors == 2)
        #expect(last.p99Milliseconds == 50, "the 99th of 100 took 40 ms: the 50 ms bucket")
        #expect(last.eventsPerSecond == 100, "500 events in 5 s")
        #expect(last.regions.map(\.lagEvents) == [0, 150])
        #expect(last.regions.map(\.leaseMillisecondsLeft) == [4_000, nil], "only the writer's lease counts")
        // A region that does not answer: not ready, nothing else known.
        history.sample(at: start.addingTimeInterval(10), regions: regions(writerHead: 600, readerHead: nil))
        let down = try #require(history.history.samples.last?.regions.last)
        #expect(down.ready == false && down.lagEvents == nil && down.headPosition == nil)
        #expect(history.history.samples.last?.requests == 0, "each interval counts afresh")
    }

    @Test("between samples the alarms are evaluated on the interval so far, which is not kept; the alarm report says failover is advised")
    func alarmsBetweenSamples() throws {
        let history = FigureHistory(checker: nil)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        history.sample(at: start, regions: regions(writerHead: 10, readerHead: 10))
        var gone = regions(writerHead: 10, readerHead: 10)
        gone[0].readiness = nil
        for second in 1...4 { history.evaluateAlarms(at: start.addingTimeInterval(Double(second)), regions: gone) }
        #expect(history.history.samples.count == 1, "evaluations between samples keep none")
        let report = history.alarms
        #expect(report.failoverAdvised && report.reasons.count == 1)
        #expect(report.alarms.first { $0.name == .writerUnreachable }?.state == .firing)
        #expect(report.changes.map(\.name) == [.writerUnreachable])
    }

    @Test("memory is bounded: thirty minutes of samples, the oldest dropped")
    func bounded() {
        let history = FigureHistory(checker: nil)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let kept = Int(Limits.figureHistorySeconds * 1_000 / Limits.figureSampleMilliseconds)
        for index in 0..<(kept + 25) {
            history.sample(at: start.addingTimeInterval(Double(index) * 5), regions: regions(writerHead: Int64(index), readerHead: 0))
        }
        let samples = history.history.samples
        #expect(samples.count == kept && kept == 360)
        #expect(samples.first?.at == start.addingTimeInterval(25 * 5))
    }

    @Test("GET /router/history serves it, and the router tallies /api requests only")
    func route() async throws {
        let configuration = RouterConfiguration(regions: [.init(name: Self.east, url: "http://127.0.0.1:1")])
        let checker = HealthChecker(configuration: configuration, client: HTTPClient.shared, logger: Logger(label: "test"))
        let history = FigureHistory(checker: nil)
        let router = Application(router: buildRouterRouter(
            checker: checker, client: HTTPClient.shared, limiter: KeyedRateLimiter(requestsPerSecond: 1_000, burst: 1_000), history: history
        ))
        try await router.test(.router) { client in
            _ = try await client.execute(uri: "/router/regions", method: .get)
            _ = try await client.execute(uri: "/api/v1/remittances", method: .get)  // no writer: held, then 503
            history.sample(at: Date(), regions: [])
            let answer = try await client.execute(uri: "/router/history", method: .get)
            #expect(answer.status == .ok)
            let served = try RemitJSON.decoder().decode(FigureHistory.History.self, from: Data(buffer: answer.body))
            #expect(served.samples.count == 1 && served.samples[0].requests == 1 && served.samples[0].serverErrors == 1)
        }
    }
}
