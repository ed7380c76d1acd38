import Foundation
import RemitWire
import RemitCore

/// What the router last learned about one region from its `/readyz`.
public struct RegionHealth: Sendable, Equatable, Codable {
    public var region: RegionName
    public var url: String
    /// The region's answer when it was ready; nil when it was unreachable or not ready.
    public var readiness: Readiness?
    /// Why the region is not ready (its problem detail, or the connection error).
    public var reason: String?
    public var checkedAt: Date?

    public init(region: RegionName, url: String, readiness: Readiness? = nil, reason: String? = "not checked yet", checkedAt: Date? = nil) {
        self.region = region
        self.url = url
        self.readiness = readiness
        self.reason = reason
        self.checkedAt = checkedAt
    }
}

/// Which region gets the traffic. A pure function of what the health checks saw, kept apart
/// so that every case has a test.
public enum RegionSelection {
    /// The newest routing record any ready region holds.
    public static func record(_ regions: [RegionHealth]) -> RoutingRecord? {
        RoutingRecord.newest(regions.map { $0.readiness?.routing })
    }

    /// The region the newest routing record names active, if it is ready as the writer at the
    /// record's epoch. None while the record says a forced failover is switching, or while the
    /// named region is fenced or not yet promoted (a planned failover between fence and promote).
    public static func active(_ regions: [RegionHealth]) -> RegionHealth? {
        guard let record = record(regions) else { return highestWriter(regions) }
        guard record.state == .active, let region = regions.first(where: { $0.region == record.activeRegion }),
            let readiness = region.readiness, readiness.role == .writer, readiness.epoch == record.epoch
        else { return nil }
        return region
    }

    /// Where a read goes when no region is active: the active one if it answers at all (it
    /// may be fenced mid-failover, its data still current), else the ready region furthest along.
    public static func readable(_ regions: [RegionHealth]) -> RegionHealth? {
        if let active = active(regions) { return active }
        if let named = record(regions)?.activeRegion, let region = regions.first(where: { $0.region == named && $0.readiness != nil }) {
            return region
        }
        return regions.filter { $0.readiness != nil }.max { $0.readiness!.headPosition < $1.readiness!.headPosition }
    }

    /// Without any routing record (regions older than the record): the ready writer with the
    /// highest epoch. Two ready writers at the same epoch break an invariant; then no region is
    /// chosen, because sending writes to either could fork the log.
    static func highestWriter(_ regions: [RegionHealth]) -> RegionHealth? {
        let writers = regions.filter { $0.readiness?.role == .writer }
        guard let highest = writers.map({ $0.readiness!.epoch }).max() else { return nil }
        let atHighest = writers.filter { $0.readiness!.epoch == highest }
        return atHighest.count == 1 ? atHighest[0] : nil
    }
}
