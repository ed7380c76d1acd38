import Foundation
import RemitCore
import RemitRouter
import RemitWire
import Testing

@Suite("automatic forced failover")
struct AutoFailoverTests {
    static let (east, west) = (RegionName(rawValue: "east")!, RegionName(rawValue: "west")!)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let record = RoutingRecord(epoch: 1, revision: 0, activeRegion: east, state: .active)

    /// East as `eastRole` (nil: not answering) and west as `westRole`, both holding `record`.
    func regions(
        east eastRole: RegionRole? = .writer, eastHead: Int64 = 100, west westRole: RegionRole? = .reader, westHead: Int64 = 100,
        record: RoutingRecord = AutoFailoverTests.record
    ) -> [RegionHealth] {
        func health(_ name: RegionName, _ role: RegionRole?, _ head: Int64) -> RegionHealth {
            RegionHealth(
                region: name, url: "http://\(name)",
                readiness: role.map { Readiness(region: name, role: $0, epoch: record.epoch, headPosition: head, leaseMillisecondsLeft: 4_000, routing: record) },
                reason: role == nil ? "connection refused" : nil
            )
        }
        return [health(Self.east, eastRole, eastHead), health(Self.west, westRole, westHead)]
    }

    func at(_ seconds: Double) -> Date { Self.start.addingTimeInterval(seconds) }

    @Test("fires once, after the active region has not answered for the set time, towards the reader")
    func firesOnce() {
        var auto = AutoFailover(policy: .init(afterSeconds: 10))
        #expect(auto.observe(regions(), at: at(0)) == .wait && auto.status.state == "armed")
        #expect(auto.observe(regions(east: nil), at: at(1)) == .wait && auto.status.state == "counting")
        #expect(auto.observe(regions(east: nil), at: at(10.9)) == .wait)
        #expect(auto.observe(regions(east: nil), at: at(11)) == .fire(target: Self.west, lagEvents: 0))
        #expect(auto.status.state == "fired")
        auto.outcome("failed: 409 a runbook is running")
        // The failover did not happen (or failed): east is still gone, and it does not fire again.
        for second in stride(from: 12.0, to: 600, by: 7) {
            #expect(auto.observe(regions(east: nil), at: at(second)) == .wait)
        }
        #expect(auto.status.state == "fired" && auto.status.detail.hasSuffix("the failover it asked for failed: 409 a runbook is running"))
        // West serves; only after it has served for the re-arm time is it armed again.
        let westServes = regions(east: nil, west: .writer, record: RoutingRecord(epoch: 2, revision: 0, activeRegion: Self.west, state: .active))
        #expect(auto.observe(westServes, at: at(600)) == .wait && auto.status.state == "fired")
        #expect(auto.observe(westServes, at: at(600 + Double(Limits.autoFailoverRearmSeconds))) == .wait && auto.status.state == "armed")
    }

    @Test("a writer back within the time stops the count; it starts again from zero")
    func blip() {
        var auto = AutoFailover(policy: .init(afterSeconds: 10))
        _ = auto.observe(regions(east: nil), at: at(0))
        _ = auto.observe(regions(), at: at(9))
        #expect(auto.observe(regions(east: nil), at: at(12)) == .wait)
        #expect(auto.observe(regions(east: nil), at: at(21.9)) == .wait)
        #expect(auto.observe(regions(east: nil), at: at(22)) == .fire(target: Self.west, lagEvents: 0))
    }

    @Test("never during a planned failover (a region fenced) or while a forced one switches, however long")
    func neverDuringFailover() {
        var planned = AutoFailover(policy: .init(afterSeconds: 1))
        _ = planned.observe(regions(), at: at(0))
        // The planned failover fenced east, then east's database died before west was promoted.
        #expect(planned.observe(regions(east: .fenced), at: at(1)) == .wait)
        #expect(planned.observe(regions(east: .fenced), at: at(60)) == .wait)
        #expect(planned.status.state == "held" && planned.status.detail.contains("planned failover"))
        var forced = AutoFailover(policy: .init(afterSeconds: 1))
        let switching = RoutingRecord(epoch: 1, revision: 1, activeRegion: Self.east, state: .failingOver)
        #expect(forced.observe(regions(east: nil, record: switching), at: at(0)) == .wait)
        #expect(forced.observe(regions(east: nil, record: switching), at: at(60)) == .wait)
        #expect(forced.status.detail.contains("forced failover is switching"))
        // Once the switch is over (a new record) nothing holds it: here the new writer serves.
        let after = regions(east: nil, west: .writer, record: RoutingRecord(epoch: 2, revision: 0, activeRegion: Self.west, state: .active))
        #expect(forced.observe(after, at: at(61)) == .wait && forced.status.state == "armed")
    }

    @Test("never to a target further behind the old writer's last seen head than the bound; nor with no reader to take over")
    func boundedLoss() {
        var auto = AutoFailover(policy: .init(afterSeconds: 5, lagEventsMax: 1_000))
        _ = auto.observe(regions(eastHead: 5_000, westHead: 3_000), at: at(0))
        #expect(auto.observe(regions(east: nil, westHead: 3_000), at: at(1)) == .wait)
        #expect(auto.observe(regions(east: nil, westHead: 3_000), at: at(60)) == .wait)
        #expect(auto.status.state == "held" && auto.status.detail == "west is 2000 events behind east's last head, more than 1000")
        // West applied what it had received meanwhile: within the bound now.
        #expect(auto.observe(regions(east: nil, westHead: 4_100), at: at(61)) == .fire(target: Self.west, lagEvents: 900))
        var alone = AutoFailover(policy: .init(afterSeconds: 5))
        #expect(alone.observe(regions(east: nil, west: nil), at: at(0)) == .wait)
        #expect(alone.observe(regions(east: nil, west: nil), at: at(60)) == .wait && alone.status.state == "held")
    }
}
