import Foundation

/// When the router's alarms fire: each condition must hold for its time before the alarm fires.
/// Defaults suit the embedded stack; a JSON file (`remit router --alarms-file`) may change any
/// of them, naming only those it changes. `tools/observability/alerts.yml` uses the same ones.
public struct AlarmThresholds: Codable, Sendable, Equatable {
    /// No region answers as the writer (a failover's switch takes well under a second).
    public var writerUnreachableSeconds: Double = 3
    /// A reader trails the writer by more events than this…
    public var replicationLagEventsMax: Int64 = 10_000
    /// …for this long.
    public var replicationLagSeconds: Double = 30
    /// More than this share of the API requests of the last `errorWindowSeconds` were 5xx…
    public var serverErrorShareMax: Double = 0.05
    public var errorWindowSeconds: Double = 60
    /// …out of at least this many requests (a handful of requests says little).
    public var errorWindowRequestsMin: Int64 = 20
    /// The API's p99 latency above this…
    public var latencyP99MillisecondsMax: Double = 500
    /// …for this long.
    public var latencySeconds: Double = 60
    /// The writer's lease has less left than this…
    public var leaseMillisecondsMin: Int64 = 2_000
    /// …for this long: no router renews it.
    public var leaseSeconds: Double = 5

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AlarmThresholds()
        writerUnreachableSeconds = try container.decodeIfPresent(Double.self, forKey: .writerUnreachableSeconds) ?? defaults.writerUnreachableSeconds
        replicationLagEventsMax = try container.decodeIfPresent(Int64.self, forKey: .replicationLagEventsMax) ?? defaults.replicationLagEventsMax
        replicationLagSeconds = try container.decodeIfPresent(Double.self, forKey: .replicationLagSeconds) ?? defaults.replicationLagSeconds
        serverErrorShareMax = try container.decodeIfPresent(Double.self, forKey: .serverErrorShareMax) ?? defaults.serverErrorShareMax
        errorWindowSeconds = try container.decodeIfPresent(Double.self, forKey: .errorWindowSeconds) ?? defaults.errorWindowSeconds
        errorWindowRequestsMin = try container.decodeIfPresent(Int64.self, forKey: .errorWindowRequestsMin) ?? defaults.errorWindowRequestsMin
        latencyP99MillisecondsMax = try container.decodeIfPresent(Double.self, forKey: .latencyP99MillisecondsMax) ?? defaults.latencyP99MillisecondsMax
        latencySeconds = try container.decodeIfPresent(Double.self, forKey: .latencySeconds) ?? defaults.latencySeconds
        leaseMillisecondsMin = try container.decodeIfPresent(Int64.self, forKey: .leaseMillisecondsMin) ?? defaults.leaseMillisecondsMin
        leaseSeconds = try container.decodeIfPresent(Double.self, forKey: .leaseSeconds) ?? defaults.leaseSeconds
        // Every name must be one of ours: a misspelt threshold must not silently keep its default.
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        let given = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = given.first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(unknown) is not a threshold: " + known.sorted().joined(separator: ", ")))
        }
        let durations = [writerUnreachableSeconds, replicationLagSeconds, errorWindowSeconds, latencySeconds, leaseSeconds]
        guard durations.allSatisfy({ $0 >= 0 && $0 <= 3_600 }), (0...1).contains(serverErrorShareMax), replicationLagEventsMax >= 0,
            errorWindowRequestsMin >= 1, latencyP99MillisecondsMax > 0, leaseMillisecondsMin >= 0
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a threshold is out of range: times 0 to 3600 s, shares 0 to 1, counts positive"))
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case writerUnreachableSeconds, replicationLagEventsMax, replicationLagSeconds, serverErrorShareMax, errorWindowSeconds
        case errorWindowRequestsMin, latencyP99MillisecondsMax, latencySeconds, leaseMillisecondsMin, leaseSeconds
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
