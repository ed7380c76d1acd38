import RemitCore
import RemitDomain

/// The planned failover (switchover) as a state machine: what was found comes in (a step's
/// result or failure, with the time it came), the steps that ended and the next action go out.
/// Pure: no database, no clock, no sleeping, so every transition and every rollback branch has
/// a unit test. `PlannedFailover` is the driver that carries out the actions.
///
/// The steps, as DESIGN.md lays them out: preflight, fence, drain, promote, route, reverse.
/// Before promote, a failure unfences the writer and leaves everything as it was; after a
/// promote that may have committed, the old writer stays fenced: never two writers.
public struct PlannedRunbook: Sendable {
    public enum Action: Sendable, Equatable {
        /// Read both regions' role and head.
        case readStates
        case fence(epoch: Int64)
        /// Read the target's role and head (drain, or after a failed promote).
        case readTarget
        /// Sleep, then report `slept`.
        case sleep(milliseconds: Int64)
        /// Rollback: the writer appends again.
        case unfence(epoch: Int64)
        /// Whether a router leased the writer: then the promote hands a lease on.
        case readLease
        case promote(after: LogHead, leaseMilliseconds: Int64?)
        /// The new routing record, into the old writer's database.
        case route(RoutingRecord)
        case demote(epoch: Int64)
        case finish(Finish)
    }

    public enum Finish: Sendable, Equatable {
        case succeeded(LogHead)
        case failed(FailoverError)
    }

    /// What one event produced: the steps that ended (report them in order), then what to do.
    public struct Output: Sendable, Equatable {
        public var steps: [FailoverStep]
        public var action: Action
    }

    enum Phase: Sendable, Equatable {
        case idle
        case preflight
        case fence(epoch: Int64)
        case drain(epoch: Int64, fenced: LogHead, deadline: ContinuousClock.Instant)
        case promote(epoch: Int64, fenced: LogHead)
        /// The promote failed: is the target certainly still a reader at the fenced head?
        case checkingPromote(epoch: Int64, fenced: LogHead, error: FailoverError)
        /// Unfencing after `error`, which the execution ends with.
        case rollingBack(error: FailoverError, detail: String)
        case route(epoch: Int64, fenced: LogHead, promoted: LogHead)
        case reverse(epoch: Int64, fenced: LogHead, promoted: LogHead)
        case finished
    }

    public let source: RegionName
    public let target: RegionName
    public let drainTimeoutMilliseconds: Int64
    public let lagEventsMax: Int64
    private(set) var phase: Phase = .idle
    private var clock = StepClock()

    public init(
        source: RegionName, target: RegionName, drainTimeoutMilliseconds: Int64 = Limits.failoverDrainTimeoutMilliseconds,
        lagEventsMax: Int64 = Limits.failoverPreflightLagEventsMax
    ) {
        self.source = source
        self.target = target
        self.drainTimeoutMilliseconds = drainTimeoutMilliseconds
        self.lagEventsMax = lagEventsMax
    }

    public mutating func start(at now: ContinuousClock.Instant) -> Output {
        precondition(phase == .idle, "a runbook runs once")
        phase = .preflight
        clock.start(at: now)
        return Output(steps: [], action: .readStates)
    }

    public mutating func statesRead(
        source sourceState: (role: RegionRole, head: LogHead), target targetState: (role: RegionRole, head: LogHead),
        at now: ContinuousClock.Instant
    ) -> Output {
        precondition(phase == .preflight, "states are read in preflight")
        guard sourceState.role == .writer else { return failed("\(source) is the \(sourceState.role.rawValue), not the writer", at: now) }
        guard targetState.role == .reader else { return failed("\(target) is the \(targetState.role.rawValue), not a reader", at: now) }
        let lag = sourceState.head.position - targetState.head.position
        guard lag <= lagEventsMax else { return failed("\(target) is \(lag) events behind (at most \(lagEventsMax))", at: now) }
        let epoch = sourceState.head.epoch
        let step = clock.ended("preflight", .succeeded, at: now,
                         "\(source) writer at epoch \(epoch), head \(sourceState.head.position); \(target) \(lag) events behind")
        phase = .fence(epoch: epoch)
        return Output(steps: [step], action: .fence(epoch: epoch))
    }

    public mutating func fenced(_ head: LogHead, at now: ContinuousClock.Instant) -> Output {
        guard case .fence(let epoch) = phase else { preconditionFailure("fenced outside the fence step") }
        let step = clock.ended("fence", .succeeded, at: now, "\(source) fenced at epoch \(epoch), head \(head.position) \(head.hash.hex.prefix(16))…")
        phase = .drain(epoch: epoch, fenced: head, deadline: now + .milliseconds(drainTimeoutMilliseconds))
        return Output(steps: [step], action: .readTarget)
    }

    /// The target's role and head: while draining, whether it caught up; after a failed
    /// promote, whether the old writer may safely be unfenced.
    public mutating func targetRead(role: RegionRole, head: LogHead, at now: ContinuousClock.Instant) -> Output {
        switch phase {
        case .drain(let epoch, let fenced, let deadline):
            if head == fenced {
                let step = clock.ended("drain", .succeeded, at: now, "\(target) head \(fenced.position), hash equal to the fenced writer's")
                phase = .promote(epoch: epoch, fenced: fenced)
                return Output(steps: [step], action: .readLease)
            }
            guard now < deadline else {
                return drainFailed("\(target) did not reach \(fenced.position) within \(drainTimeoutMilliseconds) ms", epoch: epoch, at: now)
            }
            return Output(steps: [], action: .sleep(milliseconds: Limits.failoverDrainPollMilliseconds))
        case .checkingPromote(let epoch, let fenced, let error):
            guard role == .reader, head == fenced else { return promoteUncertain(error) }
            phase = .rollingBack(error: error, detail: "\(source) unfenced; \(target) was not promoted")
            return Output(steps: [], action: .unfence(epoch: epoch))
        default:
            preconditionFailure("the target is read while draining or after a failed promote")
        }
    }

    public mutating func slept(at now: ContinuousClock.Instant) -> Output {
        guard case .drain = phase else { preconditionFailure("the runbook sleeps only while draining") }
        return Output(steps: [], action: .readTarget)
    }

    public mutating func unfenced(at now: ContinuousClock.Instant) -> Output {
        guard case .rollingBack(let error, let detail) = phase else { preconditionFailure("unfenced outside a rollback") }
        phase = .finished
        let step = FailoverStep(name: "rollback", outcome: .rolledBack, milliseconds: 0, detail: detail)
        return Output(steps: [step], action: .finish(.failed(error)))
    }

    public mutating func leaseRead(_ leased: Bool, at now: ContinuousClock.Instant) -> Output {
        guard case .promote(_, let fenced) = phase else { preconditionFailure("the lease is read in the promote step") }
        // A leased writer hands a fresh lease on, so the router's next renewal finds one to extend.
        return Output(steps: [], action: .promote(after: fenced, leaseMilliseconds: leased ? Limits.writeLeaseMilliseconds : nil))
    }

    public mutating func promoted(_ head: LogHead, at now: ContinuousClock.Instant) -> Output {
        guard case .promote(let epoch, let fenced) = phase else { preconditionFailure("promoted outside the promote step") }
        let step = clock.ended("promote", .succeeded, at: now, "\(target) opened epoch \(head.epoch) with EpochStarted at \(head.position)")
        phase = .route(epoch: epoch, fenced: fenced, promoted: head)
        return Output(steps: [step], action: .route(RoutingRecord(epoch: head.epoch, revision: 0, activeRegion: target, state: .active)))
    }

    public mutating func routed(at now: ContinuousClock.Instant) -> Output {
        guard case .route(let epoch, let fenced, let promoted) = phase else { preconditionFailure("routed outside the route step") }
        let step = clock.ended("route", .succeeded, at: now, "routing record: \(target) active at epoch \(promoted.epoch), in both regions")
        phase = .reverse(epoch: epoch, fenced: fenced, promoted: promoted)
        return Output(steps: [step], action: .demote(epoch: epoch))
    }

    public mutating func demoted(at now: ContinuousClock.Instant) -> Output {
        guard case .reverse(_, let fenced, let promoted) = phase else { preconditionFailure("demoted outside the reverse step") }
        let step = clock.ended("reverse", .succeeded, at: now, "\(source) is a reader of \(target) from \(fenced.position)")
        phase = .finished
        return Output(steps: [step], action: .finish(.succeeded(promoted)))
    }

    /// The current action failed (the database refused or did not answer).
    public mutating func actionFailed(_ reason: String, at now: ContinuousClock.Instant) -> Output {
        switch phase {
        case .drain(let epoch, _, _):
            return drainFailed(reason, epoch: epoch, at: now)
        case .promote(let epoch, let fenced):
            // Unfence only if the target is certainly still a reader at the fenced head: if the
            // promote may have committed, the old writer stays fenced rather than risk two writers.
            let step = clock.ended("promote", .failed, at: now, reason)
            phase = .checkingPromote(epoch: epoch, fenced: fenced, error: FailoverError(step: "promote", reason: reason))
            return Output(steps: [step], action: .readTarget)
        case .checkingPromote(_, _, let error):
            return promoteUncertain(error)
        case .rollingBack(let error, _):
            phase = .finished
            let step = FailoverStep(name: "rollback", outcome: .failed, milliseconds: 0,
                                    detail: "could not unfence \(source) (\(reason)): it stays fenced: check both regions")
            return Output(steps: [step], action: .finish(.failed(error)))
        case .preflight, .fence, .route, .reverse:
            return failed(reason, at: now)
        case .idle, .finished:
            preconditionFailure("no action is under way")
        }
    }

    private mutating func drainFailed(_ reason: String, epoch: Int64, at now: ContinuousClock.Instant) -> Output {
        let step = clock.ended("drain", .failed, at: now, reason)
        phase = .rollingBack(error: FailoverError(step: "drain", reason: reason), detail: "\(source) unfenced; nothing else changed")
        return Output(steps: [step], action: .unfence(epoch: epoch))
    }

    private mutating func promoteUncertain(_ error: FailoverError) -> Output {
        phase = .finished
        let step = FailoverStep(name: "rollback", outcome: .failed, milliseconds: 0,
                                detail: "\(target) may have been promoted; \(source) stays fenced: check both regions")
        return Output(steps: [step], action: .finish(.failed(error)))
    }

    /// The current step failed with nothing to roll back.
    private mutating func failed(_ reason: String, at now: ContinuousClock.Instant) -> Output {
        let name = stepName
        let step = clock.ended(name, .failed, at: now, reason)
        phase = .finished
        return Output(steps: [step], action: .finish(.failed(FailoverError(step: name, reason: reason))))
    }

    private var stepName: String {
        switch phase {
        case .preflight: "preflight"
        case .fence: "fence"
        case .drain: "drain"
        case .promote, .checkingPromote: "promote"
        case .route: "route"
        case .reverse: "reverse"
        case .idle, .rollingBack, .finished: "rollback"
        }
    }

    /// A step that ended now; the next one starts now.
}
