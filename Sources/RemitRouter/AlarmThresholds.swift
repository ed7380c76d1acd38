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
    public var leaseMillisecondsLeftMin: Int64 = 2_000
    /// …for this long: no router renews it.
    public var leaseSeconds: Double = 5
    /// Every connection of a node's database pool lent out with callers queueing, for this long.
    public var poolExhaustedSeconds: Double = 10
    /// A reader refused a segment within this many seconds (the alarm fires at once and stays
    /// until the reader has refused none for this long).
    public var segmentRejectionWindowSeconds: Double = 60

    public init() {}

    /// Each threshold by its name in the file, with the range it must be in.
    private static var fields: [String: Field] {
        [
            "writerUnreachableSeconds": .seconds(\.writerUnreachableSeconds),
            "replicationLagEventsMax": .count(\.replicationLagEventsMax, minimum: 0),
            "replicationLagSeconds": .seconds(\.replicationLagSeconds),
            "serverErrorShareMax": .share(\.serverErrorShareMax),
            "errorWindowSeconds": .seconds(\.errorWindowSeconds),
            "errorWindowRequestsMin": .count(\.errorWindowRequestsMin, minimum: 1),
            "latencyP99MillisecondsMax": .milliseconds(\.latencyP99MillisecondsMax),
            "latencySeconds": .seconds(\.latencySeconds),
            "leaseMillisecondsLeftMin": .count(\.leaseMillisecondsLeftMin, minimum: 0),
            "leaseSeconds": .seconds(\.leaseSeconds),
            "poolExhaustedSeconds": .seconds(\.poolExhaustedSeconds),
            "segmentRejectionWindowSeconds": .seconds(\.segmentRejectionWindowSeconds),
        ]
    }

    private enum Field {
        /// 0 to an hour.
        case seconds(WritableKeyPath<AlarmThresholds, Double>)
        /// Above 0, at most an hour.
        case milliseconds(WritableKeyPath<AlarmThresholds, Double>)
        /// 0 to 1.
        case share(WritableKeyPath<AlarmThresholds, Double>)
        /// A whole number, at least `minimum`.
        case count(WritableKeyPath<AlarmThresholds, Int64>, minimum: Int64)

        func set(_ value: Double, in thresholds: inout AlarmThresholds, name: String) throws {
            func refuse(_ range: String) -> DecodingError {
                .dataCorrupted(.init(codingPath: [], debugDescription: "\(name) must be \(range)"))
            }
            switch self {
            case .seconds(let path):
                guard (0...3_600).contains(value) else { throw refuse("0 to 3600 seconds") }
                thresholds[keyPath: path] = value
            case .milliseconds(let path):
                guard value > 0, value <= 3_600_000 else { throw refuse("above 0 and at most 3600000 milliseconds") }
                thresholds[keyPath: path] = value
            case .share(let path):
                guard (0...1).contains(value) else { throw refuse("a share from 0 to 1") }
                thresholds[keyPath: path] = value
            case .count(let path, let minimum):
                guard value.rounded() == value, value >= Double(minimum), value <= 1e15 else { throw refuse("a whole number, at least \(minimum)") }
                thresholds[keyPath: path] = Int64(value)
            }
        }
    }

    /// Every name must be one of ours (a misspelt threshold must not silently keep its
    /// default) and every value in its range.
    public init(from decoder: any Decoder) throws {
        let given = try decoder.singleValueContainer().decode([String: Double].self)
        let fields = Self.fields
        self.init()
        for (name, value) in given.sorted(by: { $0.key < $1.key }) {
            guard let field = fields[name] else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(name) is not a threshold: " + fields.keys.sorted().joined(separator: ", ")))
            }
            try field.set(value, in: &self, name: name)
        }
    }

    /// Every threshold's name, as a file names it.
    public static var names: [String] { fields.keys.sorted() }
}
