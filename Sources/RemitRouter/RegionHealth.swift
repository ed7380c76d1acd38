import Foundation
import RemitCore
import RemitHTTP

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
    /// The ready writer with the highest epoch. Two ready writers at the same epoch break an
    /// invariant; then no region is chosen, because sending writes to either could fork the log.
    public static func active(_ regions: [RegionHealth]) -> RegionHealth? {
        let writers = regions.filter { $0.readiness?.role == .writer }
        guard let highest = writers.map({ $0.readiness!.epoch }).max() else { return nil }
        let atHighest = writers.filter { $0.readiness!.epoch == highest }
        return atHighest.count == 1 ? atHighest[0] : nil
    }
}
