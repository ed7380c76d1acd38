import Foundation
import RemitCore
import RemitRouter
import RemitWire
import Testing

@Suite("the router's alarms")
struct AlarmBoardTests {
    static let (east, west) = (RegionName(rawValue: "east")!, RegionName(rawValue: "west")!)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A sample `seconds` after the start: east the writer (or gone), west a reader.
    func sample(
        _ seconds: Double, writer: Bool = true, reader: Bool = true, lag: Int64 = 0, lease: Int64? = 4_000,
        requests: Int64 = 0, errors: Int64 = 0, p99: Double? = nil, pool: Readiness.PoolFigures? = nil, rejected: Int64 = 0
    ) -> FigureHistory.Sample {
        FigureHistory.Sample(
            at: Self.start.addingTimeInterval(seconds), requests: requests, serverErrors: errors, p99Milliseconds: p99, eventsPerSecond: nil,
            regions: [
                .init(region: Self.east, ready: writer, role: writer ? .writer : nil, headPosition: writer ? 100 : nil, lagEvents: writer ? 0 : nil,
                      leaseMillisecondsLeft: writer ? lease : nil, pool: writer ? pool : nil),
                .init(region: Self.west, ready: reader, role: reader ? .reader : nil, headPosition: reader ? 100 - lag : nil,
                      lagEvents: reader ? lag : nil, leaseMillisecondsLeft: nil, segmentsRejected: reader ? rejected : nil),
            ]
        )
    }

    /// Feeds the samples one by one, as the router takes them; the changes of each step.
    func run(_ board: inout AlarmBoard, _ samples: [FigureHistory.Sample]) -> [[AlarmBoard.Change]] {
        samples.indices.map { board.evaluate(Array(samples[...$0])) }
    }

    func state(_ board: AlarmBoard, _ name: AlarmBoard.Name) -> AlarmBoard.State? {
        board.alarms.first { $0.name == name }?.state
    }

    @Test("the writer gone: pending, firing after its time with failover advised (west answers), resolved when it is back")
    func writerGone() {
        var board = AlarmBoard()
        let changes = run(&board, [sample(0), sample(5, writer: false), sample(6, writer: false), sample(8, writer: false)])
        #expect(changes[1].isEmpty && changes[2].isEmpty, "pending for 3 s")
        #expect(changes[3].map(\.name) == [.writerUnreachable] && changes[3].first?.state == .firing)
        #expect(state(board, .writerUnreachable) == .firing)
        let advice = board.failoverAdvice
        #expect(advice.advised && advice.reasons.first?.contains("no region answers as the writer (not answering: east)") == true)
        let back = board.evaluate([sample(20)])
        #expect(back.map(\.state) == [.ok] && !board.failoverAdvice.advised && state(board, .writerUnreachable) == .ok)
    }

    @Test("the writer gone for a moment only, or with no other region answering: no advice")
    func noAdvice() {
        var blip = AlarmBoard()
        let changes = run(&blip, [sample(0), sample(5, writer: false), sample(7)])
        #expect(changes.allSatisfy(\.isEmpty) && state(blip, .writerUnreachable) == .ok)
        var alone = AlarmBoard()
        _ = run(&alone, [sample(0, writer: false, reader: false), sample(20, writer: false, reader: false)])
        #expect(state(alone, .writerUnreachable) == .firing && !alone.failoverAdvice.advised, "no region could take over")
    }

    @Test("replication lag, 5xx share, p99 latency and the lease each fire after their time, and only over their threshold")
    func figures() {
        var lag = AlarmBoard()
        _ = run(&lag, [sample(0, lag: 20_000), sample(29, lag: 20_000)])
        #expect(state(lag, .replicationLag) == .pending)
        _ = lag.evaluate([sample(30, lag: 20_000)])
        #expect(state(lag, .replicationLag) == .firing && lag.alarms.first { $0.name == .replicationLag }?.detail == "west is 20000 events behind (over 10000)")
        var errors = AlarmBoard()
        _ = run(&errors, [sample(0, requests: 10, errors: 5)])
        #expect(state(errors, .serverErrors) == .ok, "10 requests are too few to judge")
        _ = run(&errors, [sample(0, requests: 10, errors: 5), sample(5, requests: 90, errors: 1)])
        #expect(state(errors, .serverErrors) == .firing, "6 of 100 in the last minute")
        _ = errors.evaluate([sample(0, requests: 10, errors: 5), sample(5, requests: 90, errors: 1), sample(70, requests: 100, errors: 0)])
        #expect(state(errors, .serverErrors) == .ok, "the 5xx left the window")
        var slow = AlarmBoard()
        _ = run(&slow, [sample(0, p99: 1_000), sample(59, p99: 1_000)])
        #expect(state(slow, .latency) == .pending)
        _ = slow.evaluate([sample(60, p99: 1_000)])
        #expect(state(slow, .latency) == .firing)
        var lease = AlarmBoard()
        _ = run(&lease, [sample(0, lease: 1_500), sample(5, lease: 800)])
        #expect(state(lease, .leaseAtRisk) == .firing)
        var unleased = AlarmBoard()
        _ = run(&unleased, [sample(0, lease: nil), sample(10, lease: nil)])
        #expect(state(unleased, .leaseAtRisk) == .ok, "a stack without leases is not at risk")
    }

    @Test("a database pool with every connection lent and callers queueing fires after its time; a busy pool with no queue does not")
    func pool() {
        let exhausted = Readiness.PoolFigures(connectionsInUse: 10, connectionsMax: 10, waiting: 7)
        let busy = Readiness.PoolFigures(connectionsInUse: 10, connectionsMax: 10, waiting: 0)
        var board = AlarmBoard()
        _ = run(&board, [sample(0, pool: busy), sample(5, pool: exhausted), sample(14, pool: exhausted)])
        #expect(state(board, .databasePool) == .pending)
        let fired = board.evaluate([sample(15, pool: exhausted)])
        #expect(fired.map(\.name) == [.databasePool] && fired.first?.detail == "east's database pool has all 10 connections in use and 7 callers waiting")
        #expect(board.evaluate([sample(16, pool: busy)]).map(\.state) == [.ok])
    }

    @Test("a reader refusing a segment fires at once and stays until it has refused none for the window; a restart's count is not a refusal")
    func segmentsRejected() {
        var board = AlarmBoard()
        let changes = run(&board, [sample(0, rejected: 2), sample(5, rejected: 2), sample(10, rejected: 3)])
        #expect(changes[1].isEmpty, "refusals before the router's first sample are not counted twice")
        #expect(changes[2].map(\.name) == [.segmentsRejected] && changes[2].first?.detail == "west refused 1 segment in the last 60 s")
        let window = [sample(0, rejected: 2), sample(5, rejected: 2), sample(10, rejected: 3), sample(60, rejected: 3)]
        #expect(board.evaluate(window).isEmpty && state(board, .segmentsRejected) == .firing, "within 60 s of the refusal")
        #expect(board.evaluate(window + [sample(71, rejected: 3)]).map(\.state) == [.ok])
        var restarted = AlarmBoard()
        _ = run(&restarted, [sample(0, rejected: 5), sample(5, rejected: 0)])
        #expect(state(restarted, .segmentsRejected) == .ok)
    }

    @Test("a thresholds file changes only what it names; an unknown name or a value out of range is refused")
    func thresholdsFile() throws {
        let some = try JSONDecoder().decode(AlarmThresholds.self, from: Data(#"{"replicationLagEventsMax": 500, "latencySeconds": 10}"#.utf8))
        var expected = AlarmThresholds()
        expected.replicationLagEventsMax = 500
        expected.latencySeconds = 10
        #expect(some == expected)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AlarmThresholds.self, from: Data(#"{"replicationLagEventMax": 500}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AlarmThresholds.self, from: Data(#"{"serverErrorShareMax": 5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AlarmThresholds.self, from: Data(#"{"replicationLagEventsMax": 1.5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AlarmThresholds.self, from: Data(#"{"poolExhaustedSeconds": -1}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AlarmThresholds.self, from: Data(#"{"latencySeconds": "10"}"#.utf8)) }
        #expect(AlarmThresholds.names.count == 12)
    }
}
