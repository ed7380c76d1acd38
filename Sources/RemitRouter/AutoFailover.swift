import Foundation
import RemitCore
import RemitWire

/// The router's opt-in automatic forced failover (`--auto-failover-after-seconds`), decided
/// from what its health checks see: pure (the regions and the instant in, one decision out), so
/// each of its rules has a test without a clock or a network. `AutoFailoverService` drives it.
///
/// It fires when the region the routing record names active has not answered at all for
/// `afterSeconds`, towards the reader furthest along. It never fires
/// - twice: once fired it stays disarmed until a writer has served for
///   `Limits.autoFailoverRearmSeconds` (an outage gets one automatic failover; what follows is
///   an operator's decision);
/// - during a failover: while any region answers as fenced (a planned failover between fence
///   and promote) or the routing record says a forced failover is switching;
/// - to a target further behind than `lagEventsMax` events of the old writer's last head the
///   router saw (and the target's node checks again against the head the writer last told it).
public struct AutoFailover: Sendable {
    public struct Policy: Sendable, Equatable {
        public var afterSeconds: Double
        public var lagEventsMax: Int64

        public init(afterSeconds: Double, lagEventsMax: Int64 = Limits.autoFailoverLagEventsMaxDefault) {
            precondition(afterSeconds > 0 && lagEventsMax >= 0, "an automatic failover waits, and bounds what it may lose")
            self.afterSeconds = afterSeconds
            self.lagEventsMax = lagEventsMax
        }
    }

    public enum Decision: Sendable, Equatable {
        case wait
        /// Ask `target` to take over; it trailed the old writer's last seen head by `lagEvents`.
        case fire(target: RegionName, lagEvents: Int64)
    }

    /// What `GET /router/alarms` shows of it.
    public struct Status: Codable, Sendable, Equatable {
        /// armed, counting (the writer is gone, not for long enough yet), held (a rule keeps it
        /// from firing), fired.
        public var state: String
        public var detail: String
        public var since: Date?
        public var afterSeconds: Double
        public var lagEventsMax: Int64
    }

    public let policy: Policy
    private var state = "armed"
    private var detail = "fires after the active region has not answered for the set time"
    private var since: Date?
    /// Since when the active region has not answered.
    private var goneSince: Date?
    /// When it fired, what became of the failover it asked for, and since when a writer has served again.
    private var firedAt: Date?
    private var failoverOutcome: String?
    private var servingSince: Date?
    /// The last head the router saw the writer at, with its epoch.
    private var writerHead: (epoch: Int64, position: Int64)?

    public init(policy: Policy) {
        self.policy = policy
    }

    public var status: Status {
        let shown = state == "fired" ? detail + (failoverOutcome.map { "; the failover it asked for \($0)" } ?? "") : detail
        return Status(state: state, detail: shown, since: since, afterSeconds: policy.afterSeconds, lagEventsMax: policy.lagEventsMax)
    }

    /// The regions as the latest health checks saw them, at `now`.
    public mutating func observe(_ regions: [RegionHealth], at now: Date) -> Decision {
        if let active = RegionSelection.active(regions), let readiness = active.readiness {
            writerHead = (readiness.epoch, readiness.headPosition)
            goneSince = nil
            guard let firedAt else {
                set("armed", "\(active.region) serves as the writer", at: now)
                return .wait
            }
            let serving = servingSince ?? now
            servingSince = serving
            if now.timeIntervalSince(serving) >= Double(Limits.autoFailoverRearmSeconds) {
                self.firedAt = nil
                failoverOutcome = nil
                servingSince = nil
                set("armed", "\(active.region) has served as the writer for \(Limits.autoFailoverRearmSeconds) s since the last automatic failover", at: now)
            } else {
                set("fired", "fired at \(firedAt); armed again once a writer has served for \(Limits.autoFailoverRearmSeconds) s", at: firedAt)
            }
            return .wait
        }
        servingSince = nil
        if let firedAt {
            set("fired", "fired at \(firedAt); it fires once per outage", at: firedAt)
            return .wait
        }
        guard let record = RegionSelection.record(regions) else { return hold("no region that answers holds a routing record", at: now) }
        if record.state == .failingOver { return hold("a forced failover is switching", at: now) }
        if let fenced = regions.first(where: { $0.readiness?.role == .fenced }) {
            return hold("a planned failover is under way (\(fenced.region) is fenced)", at: now)
        }
        guard let named = regions.first(where: { $0.region == record.activeRegion }), named.readiness == nil else {
            // It answers (not yet promoted, or at another epoch): a failover or a restart is in hand.
            return hold("\(record.activeRegion), the active region, answers", at: now)
        }
        let gone = goneSince ?? now
        goneSince = gone
        let waited = now.timeIntervalSince(gone)
        guard waited >= policy.afterSeconds else {
            set("counting", "\(record.activeRegion) has not answered for \(Int(waited)) s of \(Int(policy.afterSeconds)) s", at: gone)
            return .wait
        }
        let readers = regions.compactMap { region in region.readiness.map { (region.region, $0) } }.filter { $0.1.role == .reader }
        guard let (target, readiness) = readers.max(by: { $0.1.headPosition < $1.1.headPosition }) else {
            return hold("\(record.activeRegion) is gone and no other region answers to take over", at: now, whileGone: true)
        }
        var lag: Int64 = 0
        if let writerHead, writerHead.epoch == record.epoch { lag = max(0, writerHead.position - readiness.headPosition) }
        guard lag <= policy.lagEventsMax else {
            return hold("\(target) is \(lag) events behind \(record.activeRegion)'s last head, more than \(policy.lagEventsMax)", at: now, whileGone: true)
        }
        firedAt = now
        set("fired", "\(record.activeRegion) did not answer for \(Int(waited)) s: forced failover to \(target), \(lag) events behind", at: now)
        return .fire(target: target, lagEvents: lag)
    }

    /// What became of the failover it asked for (the driver tells): shown while it stays fired.
    public mutating func outcome(_ text: String) {
        failoverOutcome = text
    }

    /// Holds fire for `reason`; unless the writer is still gone (`whileGone`), its time starts again.
    private mutating func hold(_ reason: String, at now: Date, whileGone: Bool = false) -> Decision {
        if !whileGone { goneSince = nil }
        set("held", reason, at: now)
        return .wait
    }

    private mutating func set(_ state: String, _ detail: String, at instant: Date) {
        if state != self.state { since = instant }
        self.state = state
        self.detail = detail
    }
}
