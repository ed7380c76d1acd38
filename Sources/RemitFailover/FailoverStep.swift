
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
