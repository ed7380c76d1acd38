import Foundation
import RemitDomain
import RemitStorage
import RemitCore

/// One step of a runbook execution, as it is reported.
public struct FailoverStep: Sendable, Equatable {
    public enum Outcome: String, Sendable { case succeeded, failed, rolledBack = "rolled back" }
    public let name: String
    public let outcome: Outcome
    public let milliseconds: Double
    public let detail: String
}

public struct FailoverError: Error, Sendable, CustomStringConvertible {
    public let step: String
    public let reason: String
    public var description: String { "\(step) failed: \(reason)" }
}

/// Runs named steps, timing each and reporting it as it ends; a failed step is reported
/// and thrown on as a `FailoverError` naming it.
struct StepRunner {
    let report: (FailoverStep) async -> Void

    func run<T>(_ name: String, _ body: () async throws -> (T, String)) async throws -> T {
        let started = ContinuousClock.now
        do {
            let (value, detail) = try await body()
            await report(FailoverStep(name: name, outcome: .succeeded, milliseconds: (ContinuousClock.now - started).milliseconds, detail: detail))
            return value
        } catch {
            await report(FailoverStep(name: name, outcome: .failed, milliseconds: (ContinuousClock.now - started).milliseconds, detail: "\(error)"))
            throw FailoverError(step: name, reason: "\(error)")
        }
    }
}
