import Foundation
import RemitCore

/// The router's alarms, decided from its figure samples: pure (samples in, states and changes
/// out), so every transition is tested without a clock or a network. An alarm is `pending`
/// while its condition holds for less than its threshold's time, then `firing` until the
/// condition no longer holds. When the writer is gone and a reader answers, failover is advised.
public struct AlarmBoard: Sendable, Equatable {
    public enum Name: String, Codable, CaseIterable, Sendable {
        case writerUnreachable = "writer-unreachable", replicationLag = "replication-lag", serverErrors = "server-errors"
        case latency, leaseAtRisk = "lease-at-risk", databasePool = "database-pool", segmentsRejected = "segments-rejected"
    }

    public enum State: String, Codable, Sendable {
        case ok, pending, firing
    }

    public struct Alarm: Codable, Sendable, Equatable {
        public var name: Name
        public var state: State
        /// Since when the condition has held (pending) or the alarm has fired (firing).
        public var since: Date?
        /// What holds, in words (the region, the figure and its threshold).
        public var detail: String?
    }

    /// An alarm that fired or stopped firing.
    public struct Change: Codable, Sendable, Equatable {
        public var name: Name
        public var state: State
        public var at: Date
        public var detail: String?
    }

    public let thresholds: AlarmThresholds
    public private(set) var alarms: [Alarm]

    public init(thresholds: AlarmThresholds = AlarmThresholds()) {
        self.thresholds = thresholds
        alarms = Name.allCases.map { Alarm(name: $0, state: .ok) }
    }

    /// Takes the newest sample (the last of `samples`, oldest first) and returns what changed.
    public mutating func evaluate(_ samples: [FigureHistory.Sample]) -> [Change] {
        guard let newest = samples.last else { return [] }
        let now = newest.at
        readerAnswers = newest.regions.contains { $0.ready && $0.role != .writer }
        var changes: [Change] = []
        for index in alarms.indices {
            let name = alarms[index].name
            let (holds, detail) = condition(name, samples)
            let wait = holdSeconds(name)
            switch (alarms[index].state, holds) {
            case (.ok, true):
                alarms[index] = Alarm(name: name, state: wait <= 0 ? .firing : .pending, since: now, detail: detail)
                if wait <= 0 { changes.append(Change(name: name, state: .firing, at: now, detail: detail)) }
            case (.pending, true):
                alarms[index].detail = detail
                if let since = alarms[index].since, now.timeIntervalSince(since) >= wait {
                    alarms[index] = Alarm(name: name, state: .firing, since: now, detail: detail)
                    changes.append(Change(name: name, state: .firing, at: now, detail: detail))
                }
            case (.firing, true):
                alarms[index].detail = detail
            case (.firing, false):
                alarms[index] = Alarm(name: name, state: .ok)
                changes.append(Change(name: name, state: .ok, at: now, detail: nil))
            case (.pending, false), (.ok, false):
                alarms[index] = Alarm(name: name, state: .ok)
            }
        }
        return changes
    }

    /// Failover is advised when the writer's alarm fires and another region answers (it could
    /// take over); the reasons are the writer's alarms that fire.
    public var failoverAdvice: (advised: Bool, reasons: [String]) {
        let writerAlarms = alarms.filter { ($0.name == .writerUnreachable || $0.name == .leaseAtRisk) && $0.state == .firing }
        let advised = writerAlarms.contains { $0.name == .writerUnreachable } && readerAnswers
        return (advised, advised ? writerAlarms.compactMap(\.detail) : [])
    }

    /// Whether, in the newest sample, a region other than the writer answers.
    private var readerAnswers = false

    private func holdSeconds(_ name: Name) -> Double {
        switch name {
        case .writerUnreachable: thresholds.writerUnreachableSeconds
        case .replicationLag: thresholds.replicationLagSeconds
        case .serverErrors: 0  // its condition is already over a window
        case .latency: thresholds.latencySeconds
        case .leaseAtRisk: thresholds.leaseSeconds
        case .databasePool: thresholds.poolExhaustedSeconds
        case .segmentsRejected: 0  // its condition is already over a window
        }
    }

    private func condition(_ name: Name, _ samples: [FigureHistory.Sample]) -> (Bool, String?) {
        guard let last = samples.last else { return (false, nil) }
        let writer = last.regions.first { $0.ready && $0.role == .writer }
        switch name {
        case .writerUnreachable:
            let down = last.regions.filter { !$0.ready }.map(\.region.rawValue)
            return (writer == nil, "no region answers as the writer" + (down.isEmpty ? "" : " (not answering: \(down.joined(separator: ", ")))"))
        case .replicationLag:
            let behind = last.regions.filter { $0.ready && $0.role == .reader && ($0.lagEvents ?? 0) > thresholds.replicationLagEventsMax }
            return (!behind.isEmpty, behind.map { "\($0.region) is \($0.lagEvents ?? 0) events behind (over \(thresholds.replicationLagEventsMax))" }.joined(separator: "; "))
        case .serverErrors:
            let window = samples.filter { last.at.timeIntervalSince($0.at) < thresholds.errorWindowSeconds }
            let requests = window.map(\.requests).reduce(0, +), errors = window.map(\.serverErrors).reduce(0, +)
            let share = requests > 0 ? Double(errors) / Double(requests) : 0
            return (requests >= thresholds.errorWindowRequestsMin && share > thresholds.serverErrorShareMax,
                    String(format: "%.1f %% of %d API requests in the last %.0f s were 5xx", share * 100, requests, thresholds.errorWindowSeconds))
        case .latency:
            let p99 = last.p99Milliseconds ?? 0
            return (p99 > thresholds.latencyP99MillisecondsMax, String(format: "p99 API latency %.0f ms (over %.0f ms)", p99, thresholds.latencyP99MillisecondsMax))
        case .leaseAtRisk:
            guard let writer, let left = writer.leaseMillisecondsLeft else { return (false, nil) }
            return (left < thresholds.leaseMillisecondsLeftMin, "\(writer.region)'s write lease has \(left) ms left")
        case .databasePool:
            let exhausted = last.regions.compactMap { region in region.pool.map { (region.region, $0) } }.filter { $0.1.isExhausted }
            return (!exhausted.isEmpty, exhausted.map { region, pool in
                "\(region)'s database pool has all \(pool.connectionsMax) connections in use and \(pool.waiting) callers waiting"
            }.joined(separator: "; "))
        case .segmentsRejected:
            let window = samples.filter { last.at.timeIntervalSince($0.at) <= thresholds.segmentRejectionWindowSeconds }
            let refusing = last.regions.map(\.region).compactMap { region -> String? in
                let totals = window.compactMap { sample in sample.regions.first { $0.region == region }?.segmentsRejected }
                // What the count grew by from sample to sample (it starts again when the node restarts).
                let refused = zip(totals, totals.dropFirst()).map { max(0, $1 - $0) }.reduce(0, +)
                return refused > 0 ? "\(region) refused \(refused) segment\(refused == 1 ? "" : "s") in the last \(Int(thresholds.segmentRejectionWindowSeconds)) s" : nil
            }
            return (!refusing.isEmpty, refusing.joined(separator: "; "))
        }
    }
}
