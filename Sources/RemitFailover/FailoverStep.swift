

/// One step of a runbook execution, as it is reported.
public struct FailoverStep: Sendable, Equatable {
    public enum Outcome: String, Sendable { case succeeded, failed, rolledBack = "rolled back" }
    public let name: String
    public let outcome: Outcome
    public let milliseconds: Double
    public let detail: String

    public init(name: String, outcome: Outcome, milliseconds: Double, detail: String) {
        self.name = name
        self.outcome = outcome
        self.milliseconds = milliseconds
        self.detail = detail
    }
}

public struct FailoverError: Error, Sendable, Equatable, CustomStringConvertible {
    public let step: String
    public let reason: String

    public init(step: String, reason: String) {
        self.step = step
        self.reason = reason
    }

    public var description: String { "\(step) failed: \(reason)" }
}

/// Times a runbook's steps from the events' own instants: a step runs from the end of the one
/// before (or the runbook's start) to the event that ends it.
struct StepClock: Sendable {
    private var stepStartedAt: ContinuousClock.Instant?

    mutating func start(at now: ContinuousClock.Instant) {
        stepStartedAt = now
    }

    /// A step that ended now; the next one starts now.
    mutating func ended(_ name: String, _ outcome: FailoverStep.Outcome, at now: ContinuousClock.Instant, _ detail: String) -> FailoverStep {
        let started = stepStartedAt ?? now
        stepStartedAt = now
        return FailoverStep(name: name, outcome: outcome, milliseconds: (now - started).milliseconds, detail: detail)
    }
}
