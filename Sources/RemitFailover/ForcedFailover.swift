import Foundation
import RemitDomain
import RemitCore
import RemitReplication

/// A forced failover: the driver of `ForcedRunbook`, which decides every step and the rollback;
/// this carries out its actions on the two regions and the router.
public struct ForcedFailover: Sendable {
    public let source: FailoverRegion
    public let target: FailoverRegion
    /// The oldest record the routers follow now, and whether every router answered; throws
    /// when none can be asked.
    public let routerRecord: @Sendable () async throws -> RoutersView
    public let leaseMilliseconds: Int64

    public init(
        from source: FailoverRegion, to target: FailoverRegion, leaseMilliseconds: Int64 = Limits.writeLeaseMilliseconds,
        routerRecord: @escaping @Sendable () async throws -> RoutersView
    ) {
        self.source = source
        self.target = target
        self.leaseMilliseconds = leaseMilliseconds
        self.routerRecord = routerRecord
    }

    /// Runs every step, reporting each as it ends; returns the new writer's head and what was
    /// measured of the loss window.
    public func run(report: @escaping (FailoverStep) async -> Void = { _ in }) async throws -> (head: LogHead, lossWindow: LossWindowFigures) {
        var runbook = ForcedRunbook(source: source.name, target: target.name, leaseMilliseconds: leaseMilliseconds)
        var output = runbook.start(at: .now)
        while true {
            for step in output.steps { await report(step) }
            switch output.action {
            case .finish(.succeeded(let head, let window)): return (head, window)
            case .finish(.failed(let error)): throw error
            default: output = await perform(output.action, &runbook)
            }
        }
    }

    /// Carries out one action and hands its result, or its failure, to the runbook. Writes to
    /// the old writer are best effort: its database may be the one that is gone.
    private func perform(_ action: ForcedRunbook.Action, _ runbook: inout ForcedRunbook) async -> ForcedRunbook.Output {
        do {
            switch action {
            case .readPreflight:
                let (role, _) = try await target.control.state()
                let window = try await target.control.lossWindow()
                let sourceRecord = try? await source.control.routing()
                return runbook.preflightRead(
                    targetRole: role, window: window, targetRecord: try await target.control.routing(), sourceRecord: sourceRecord, at: .now
                )
            case .stopWrites(let failing):
                try await target.control.route(failing)
                let reachedSource = (try? await source.control.route(failing)) != nil
                return runbook.writesStopped(reachedSource: reachedSource, at: .now)
            case .tryFence(let epoch):
                return runbook.fenceTried(fenced: (try? await source.control.fence(epoch: epoch)) != nil, at: .now)
            case .askRouter:
                let answer: ForcedRunbook.RouterAnswer
                do {
                    let view = try await routerRecord()
                    answer = .follows(view.record, every: view.everyRouterAnswered, leaseMilliseconds: view.leaseMillisecondsMax)
                } catch {
                    answer = .unanswered
                }
                return runbook.routerAsked(answer, at: .now)
            case .sleep(let milliseconds):
                try await Task.sleep(for: .milliseconds(milliseconds))
                return runbook.slept(at: .now)
            case .restoreRouting(let record):
                _ = try? await target.control.route(record)
                return runbook.routingRestored(at: .now)
            case .promote(let leaseMilliseconds):
                return runbook.promoted(try await target.control.promoteForced(target.name, leaseMilliseconds: leaseMilliseconds), at: .now)
            case .routeSource(let record):
                return runbook.sourceRouted(reached: (try? await source.control.route(record)) != nil, at: .now)
            case .finish:
                preconditionFailure("finish is the driver's to handle")
            }
        } catch {
            return runbook.actionFailed("\(error)", at: .now)
        }
    }
}

/// What the routers said when a forced failover asked which routing record they follow.
public struct RoutersView: Sendable, Equatable {
    /// The oldest record any router that answered follows (nil: one of them holds none).
    public var record: RoutingRecord?
    public var everyRouterAnswered: Bool
    /// The longest write lease any router that answered grants (nil: none said).
    public var leaseMillisecondsMax: Int64?

    public init(record: RoutingRecord?, everyRouterAnswered: Bool = true, leaseMillisecondsMax: Int64? = nil) {
        self.record = record
        self.everyRouterAnswered = everyRouterAnswered
        self.leaseMillisecondsMax = leaseMillisecondsMax
    }

    /// One router's answer: the record it follows (nil: none) and the lease it grants.
    public typealias Answer = (record: RoutingRecord?, leaseMilliseconds: Int64?)

    /// The view of several routers' answers (nil: that router did not answer); throws when none did.
    public static func of(_ answers: [Answer?]) throws -> RoutersView {
        let answered = answers.compactMap { $0 }
        guard !answered.isEmpty else { throw NoRouterAnswered(asked: answers.count) }
        let records = answered.map(\.record)
        let oldest: RoutingRecord? = records.contains { $0 == nil } ? nil : records.compactMap { $0 }.min { $1.isNewer(than: $0) }
        return RoutersView(
            record: oldest, everyRouterAnswered: answered.count == answers.count, leaseMillisecondsMax: answered.compactMap(\.leaseMilliseconds).max()
        )
    }
}

public struct NoRouterAnswered: Error, CustomStringConvertible {
    public let asked: Int
    public var description: String { asked == 0 ? "no router is configured" : "none of the \(asked) routers answered" }
}
