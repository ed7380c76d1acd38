import Foundation
import RemitCore
import RemitDomain

/// The forced failover as a state machine (events in, steps and the next action out; pure, so
/// every branch has a unit test). `ForcedFailover` is its driver.
///
/// The writer region is gone (or cut off), so its last events can not be drained. As DESIGN.md
/// lays it out: stop routing writes (the routing record says "failing-over"), make sure the old
/// writer can append no more (fence it if its database still answers, otherwise wait until its
/// write lease has certainly run out), open the next epoch on the target after the last position
/// it has, and route. What the old writer acknowledged beyond that position goes to quarantine
/// when it rejoins. Until the promote, a failure gives the routing back to the old writer.
public struct ForcedRunbook: Sendable {
    public enum Action: Sendable, Equatable {
        /// Read the target's role, its loss window and both regions' routing records (the
        /// source's may not answer).
        case readPreflight
        /// Write the failing-over record to the target (must succeed) and the source (may not).
        case stopWrites(RoutingRecord)
        /// Try to fence the old writer: it works only if its database still answers.
        case tryFence(epoch: Int64)
        /// Ask the router which routing record it follows.
        case askRouter
        case sleep(milliseconds: Int64)
        /// Rollback: this record, into the target's database; whatever the outcome, report `routingRestored`.
        case restoreRouting(RoutingRecord)
        case promote(leaseMilliseconds: Int64)
        /// The new record into the old writer's database, if it answers.
        case routeSource(RoutingRecord)
        case finish(Finish)
    }

    public enum Finish: Sendable, Equatable {
        case succeeded(LogHead, LossWindowFigures)
        case failed(FailoverError)
    }

    public struct Output: Sendable, Equatable {
        public var steps: [FailoverStep]
        public var action: Action
    }

    /// What asking the routers gave.
    public enum RouterAnswer: Sendable, Equatable {
        /// None answered.
        case unanswered
        /// The oldest record any of them follows (nil: one holds none); `every` when all of the
        /// routers answered, false when some did not (they may still renew until their view of
        /// the records goes stale); the longest lease any of them grants, when they say.
        case follows(RoutingRecord?, every: Bool = true, leaseMilliseconds: Int64? = nil)
    }

    enum Phase: Sendable, Equatable {
        case idle
        case preflight
        case stopWrites
        case fencing
        /// Asking the router until `deadline`; `answered` once it answered at all.
        case askingRouter(deadline: ContinuousClock.Instant, answered: Bool)
        case waitingForLease(milliseconds: Int64)
        case rollingBack(FailoverError)
        case promote
        case route(LogHead)
        case finished
    }

    public let source: RegionName
    public let target: RegionName
    public let leaseMilliseconds: Int64
    private(set) var phase: Phase = .idle
    private var clock = StepClock()
    /// Set in preflight.
    private var record: RoutingRecord?
    private var window: LossWindowFigures?

    public init(source: RegionName, target: RegionName, leaseMilliseconds: Int64 = Limits.writeLeaseMilliseconds) {
        self.source = source
        self.target = target
        self.leaseMilliseconds = leaseMilliseconds
    }

    /// The record that stops writes: the one in force, one revision on, failing over.
    var failing: RoutingRecord? {
        record.map { RoutingRecord(epoch: $0.epoch, revision: $0.revision + 1, activeRegion: source, state: .failingOver) }
    }

    public mutating func start(at now: ContinuousClock.Instant) -> Output {
        precondition(phase == .idle, "a runbook runs once")
        phase = .preflight
        clock.start(at: now)
        return Output(steps: [], action: .readPreflight)
    }

    public mutating func preflightRead(
        targetRole: RegionRole, window: LossWindowFigures, targetRecord: RoutingRecord?, sourceRecord: RoutingRecord?,
        at now: ContinuousClock.Instant
    ) -> Output {
        precondition(phase == .preflight, "preflight reads come in preflight")
        guard targetRole == .reader else { return failed("\(target) is the \(targetRole.rawValue), not a reader", at: now) }
        guard let record = RoutingRecord.newest([targetRecord, sourceRecord]) else { return failed("no region holds a routing record", at: now) }
        guard record.activeRegion == source else {
            return failed("the routing record names \(record.activeRegion) active, not \(source)", at: now)
        }
        self.record = record
        self.window = window
        let step = clock.ended("preflight", .succeeded, at: now, window.description(source: source, target: target))
        phase = .stopWrites
        return Output(steps: [step], action: .stopWrites(failing!))
    }

    public mutating func writesStopped(reachedSource: Bool, at now: ContinuousClock.Instant) -> Output {
        precondition(phase == .stopWrites, "writes are stopped in stop-writes")
        let failing = failing!
        let step = clock.ended("stop-writes", .succeeded, at: now,
                         "routing record \(failing.state.rawValue) at epoch \(failing.epoch) in \(target)" + (reachedSource ? " and \(source)" : ""))
        phase = .fencing
        return Output(steps: [step], action: .tryFence(epoch: failing.epoch))
    }

    public mutating func fenceTried(fenced: Bool, at now: ContinuousClock.Instant) -> Output {
        precondition(phase == .fencing, "the fence is tried in fence-or-wait")
        if fenced {
            return leaseOver("\(source)'s database answered: fenced at epoch \(failing!.epoch)", at: now)
        }
        phase = .askingRouter(deadline: now + .milliseconds(Limits.forcedFailoverRouterWaitMilliseconds), answered: false)
        return Output(steps: [], action: .askRouter)
    }

    /// The routers' answer. Once one shows the failing-over record it renews no more leases, and
    /// a renewal already sent lands within its timeout: the lease and a margin are then enough.
    /// A router that answers but never shows the record may still renew: no safe wait exists.
    /// A router that does not answer and still runs stops renewing within the record age.
    public mutating func routerAsked(_ answer: RouterAnswer, at now: ContinuousClock.Instant) -> Output {
        guard case .askingRouter(let deadline, var answered) = phase else { preconditionFailure("the router is asked in fence-or-wait") }
        if case .follows(let seen, let every, let granted) = answer {
            answered = true
            if let seen, !failing!.isNewer(than: seen) {
                // A router that did not answer stops renewing once its view is too old to renew on.
                let silent = every ? 0 : Limits.leaseRecordAgeMillisecondsMax
                let lease = max(leaseMilliseconds, granted ?? 0)
                return waitForLease(lease + Limits.forcedFailoverLeaseMarginMilliseconds + silent)
            }
        }
        phase = .askingRouter(deadline: deadline, answered: answered)
        if now < deadline { return Output(steps: [], action: .sleep(milliseconds: Limits.forcedFailoverRouterPollMilliseconds)) }
        guard !answered else {
            return actionFailed("the router does not see the failing-over record, so it may still renew \(source)'s lease", at: now)
        }
        return waitForLease(leaseMilliseconds + Limits.forcedFailoverLeaseMarginMilliseconds + Limits.leaseRecordAgeMillisecondsMax)
    }

    public mutating func slept(at now: ContinuousClock.Instant) -> Output {
        switch phase {
        case .askingRouter: return Output(steps: [], action: .askRouter)
        case .waitingForLease(let milliseconds):
            return leaseOver("\(source) unreachable; waited \(milliseconds) ms for its lease to run out", at: now)
        default: preconditionFailure("the runbook sleeps only in fence-or-wait")
        }
    }

    public mutating func routingRestored(at now: ContinuousClock.Instant) -> Output {
        guard case .rollingBack(let error) = phase else { preconditionFailure("routing is restored in a rollback") }
        phase = .finished
        let step = FailoverStep(name: "rollback", outcome: .rolledBack, milliseconds: 0, detail: "routing record back to \(source) active")
        return Output(steps: [step], action: .finish(.failed(error)))
    }

    public mutating func promoted(_ head: LogHead, at now: ContinuousClock.Instant) -> Output {
        precondition(phase == .promote, "promoted outside the promote step")
        let step = clock.ended("promote", .succeeded, at: now,
                         "\(target) opened epoch \(head.epoch) after position \(head.position - 1) (EpochStarted at \(head.position))")
        phase = .route(head)
        return Output(steps: [step], action: .routeSource(RoutingRecord(epoch: head.epoch, revision: 0, activeRegion: target, state: .active)))
    }

    public mutating func sourceRouted(reached: Bool, at now: ContinuousClock.Instant) -> Output {
        guard case .route(let head) = phase else { preconditionFailure("routed outside the route step") }
        let step = clock.ended("route", .succeeded, at: now, "routing record: \(target) active at epoch \(head.epoch)"
                         + (reached ? ", in both regions" : "; \(source) learns it when it rejoins"))
        phase = .finished
        return Output(steps: [step], action: .finish(.succeeded(head, window!)))
    }

    /// The current action failed.
    public mutating func actionFailed(_ reason: String, at now: ContinuousClock.Instant) -> Output {
        switch phase {
        case .fencing, .askingRouter, .waitingForLease:
            // Nothing was promoted: give the routing back to the old writer.
            let step = clock.ended("fence-or-wait", .failed, at: now, reason)
            let failing = failing!
            phase = .rollingBack(FailoverError(step: "fence-or-wait", reason: reason))
            return Output(steps: [step], action: .restoreRouting(
                RoutingRecord(epoch: failing.epoch, revision: failing.revision + 1, activeRegion: source, state: .active)
            ))
        case .rollingBack:
            return routingRestored(at: now)
        case .preflight, .stopWrites, .promote, .route:
            return failed(reason, at: now)
        case .idle, .finished:
            preconditionFailure("no action is under way")
        }
    }

    private mutating func waitForLease(_ milliseconds: Int64) -> Output {
        phase = .waitingForLease(milliseconds: milliseconds)
        return Output(steps: [], action: .sleep(milliseconds: milliseconds))
    }

    private mutating func leaseOver(_ detail: String, at now: ContinuousClock.Instant) -> Output {
        let step = clock.ended("fence-or-wait", .succeeded, at: now, detail)
        phase = .promote
        return Output(steps: [step], action: .promote(leaseMilliseconds: leaseMilliseconds))
    }

    private mutating func failed(_ reason: String, at now: ContinuousClock.Instant) -> Output {
        let name: String
        switch phase {
        case .preflight: name = "preflight"
        case .stopWrites: name = "stop-writes"
        case .promote: name = "promote"
        default: name = "route"
        }
        let step = clock.ended(name, .failed, at: now, reason)
        phase = .finished
        return Output(steps: [step], action: .finish(.failed(FailoverError(step: name, reason: reason))))
    }
}

extension LossWindowFigures {
    func description(source: RegionName, target: RegionName) -> String {
        "\(target) has \(source)'s log through position \(headPosition) (\(eventsOfEpoch) events of epoch \(epoch)); "
            + "it last applied a segment \(millisecondsSinceLastApplied) ms ago"
            + (lastEventRecordedAt.map { ", written at \($0.formatted(.iso8601))" } ?? "")
            + ": what \(source) acknowledged after that goes to quarantine when it rejoins"
    }
}
