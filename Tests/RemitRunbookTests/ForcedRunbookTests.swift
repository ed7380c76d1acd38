import Foundation
import RemitCore
import RemitDomain
import Testing
@testable import RemitFailover

/// Every transition of the forced failover, with no database and no router.
@Suite("forced runbook")
struct ForcedRunbookTests {
    let east = RegionName(rawValue: "east")!, west = RegionName(rawValue: "west")!
    let t0 = ContinuousClock.now
    let window = LossWindowFigures(headPosition: 20, epoch: 1, eventsOfEpoch: 20, millisecondsSinceLastApplied: 40, lastEventRecordedAt: nil)
    let promotedHead = LogHead(position: 21, hash: [UInt8](repeating: 3, count: 32), epoch: 2)
    var record: RoutingRecord { RoutingRecord(epoch: 1, revision: 0, activeRegion: east, state: .active) }
    var failing: RoutingRecord { RoutingRecord(epoch: 1, revision: 1, activeRegion: east, state: .failingOver) }

    func at(_ milliseconds: Int64) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    /// A runbook east → west whose fence of east failed (east unreachable): it asks the router.
    func askingRouter() -> ForcedRunbook {
        var runbook = ForcedRunbook(source: east, target: west, leaseMilliseconds: 5_000)
        _ = runbook.start(at: at(0))
        _ = runbook.preflightRead(targetRole: .reader, window: window, targetRecord: record, sourceRecord: nil, at: at(1))
        _ = runbook.writesStopped(reachedSource: false, at: at(2))
        #expect(runbook.fenceTried(fenced: false, at: at(3)).action == .askRouter)
        return runbook
    }

    @Test("the old writer's database answers: stop writes, fence it, promote, route")
    func fencesAnsweringSource() {
        var runbook = ForcedRunbook(source: east, target: west, leaseMilliseconds: 5_000)
        #expect(runbook.start(at: at(0)).action == .readPreflight)
        var output = runbook.preflightRead(targetRole: .reader, window: window, targetRecord: record, sourceRecord: nil, at: at(4))
        #expect(output.action == .stopWrites(failing))
        #expect(output.steps.map(\.name) == ["preflight"] && output.steps[0].detail.contains("through position 20"))
        output = runbook.writesStopped(reachedSource: true, at: at(5))
        #expect(output.action == .tryFence(epoch: 1) && output.steps[0].detail.hasSuffix("in west and east"))
        output = runbook.fenceTried(fenced: true, at: at(6))
        #expect(output.steps.map(\.name) == ["fence-or-wait"] && output.action == .promote(leaseMilliseconds: 5_000))
        output = runbook.promoted(promotedHead, at: at(9))
        #expect(output.action == .routeSource(RoutingRecord(epoch: 2, revision: 0, activeRegion: west, state: .active)))
        #expect(output.steps[0].detail == "west opened epoch 2 after position 20 (EpochStarted at 21)")
        output = runbook.sourceRouted(reached: false, at: at(10))
        #expect(output.steps[0].detail.hasSuffix("east learns it when it rejoins"))
        #expect(output.action == .finish(.succeeded(promotedHead, window)))
    }

    @Test("preflight uses the newest record either region holds, and refuses without one or when it names another region")
    func preflight() {
        let newerFromSource = RoutingRecord(epoch: 1, revision: 3, activeRegion: east, state: .active)
        var runbook = ForcedRunbook(source: east, target: west)
        _ = runbook.start(at: at(0))
        #expect(runbook.preflightRead(targetRole: .reader, window: window, targetRecord: record, sourceRecord: newerFromSource, at: at(1)).action
            == .stopWrites(RoutingRecord(epoch: 1, revision: 4, activeRegion: east, state: .failingOver)))
        let refusals: [(RegionRole, RoutingRecord?, String)] = [
            (.writer, record, "west is the writer, not a reader"),
            (.reader, nil, "no region holds a routing record"),
            (.reader, RoutingRecord(epoch: 1, revision: 0, activeRegion: west, state: .active), "the routing record names west active, not east"),
        ]
        for (role, targetRecord, reason) in refusals {
            var refused = ForcedRunbook(source: east, target: west)
            _ = refused.start(at: at(0))
            #expect(refused.preflightRead(targetRole: role, window: window, targetRecord: targetRecord, sourceRecord: nil, at: at(1)).action
                == .finish(.failed(FailoverError(step: "preflight", reason: reason))))
        }
    }

    @Test("stop-writes that can not write the target's record ends the run")
    func stopWritesFails() {
        var runbook = ForcedRunbook(source: east, target: west)
        _ = runbook.start(at: at(0))
        _ = runbook.preflightRead(targetRole: .reader, window: window, targetRecord: record, sourceRecord: nil, at: at(1))
        #expect(runbook.actionFailed("refused", at: at(2)).action == .finish(.failed(FailoverError(step: "stop-writes", reason: "refused"))))
    }

    @Test("the router shows the failing-over record: wait the lease and its margin, then promote")
    func routerSeesRecord() {
        var runbook = askingRouter()
        #expect(runbook.routerAsked(.follows(record), at: at(4)).action == .sleep(milliseconds: Limits.forcedFailoverRouterPollMilliseconds))
        #expect(runbook.slept(at: at(60)).action == .askRouter)
        let wait = 5_000 + Limits.forcedFailoverLeaseMarginMilliseconds
        #expect(runbook.routerAsked(.follows(failing), at: at(61)).action == .sleep(milliseconds: wait))
        let output = runbook.slept(at: at(61 + wait))
        #expect(output.steps.map(\.detail) == ["east unreachable; waited \(wait) ms for its lease to run out"])
        #expect(output.action == .promote(leaseMilliseconds: 5_000))
    }

    @Test("the routers that answer show the record but one does not answer: wait the record age too, as if none answered")
    func routerSilent() {
        var runbook = askingRouter()
        #expect(runbook.routerAsked(.follows(failing, every: false), at: at(4)).action
            == .sleep(milliseconds: 5_000 + Limits.forcedFailoverLeaseMarginMilliseconds + Limits.leaseRecordAgeMillisecondsMax))
    }

    @Test("several routers: the oldest record any answering one follows counts, whether all answered, and the longest lease granted")
    func routersCombined() throws {
        let newer = RoutingRecord(epoch: 1, revision: 9, activeRegion: east, state: .failingOver)
        #expect(try RoutersView.of([(record, 5_000), (newer, 2_000)]) == RoutersView(record: record, everyRouterAnswered: true, leaseMillisecondsMax: 5_000))
        #expect(try RoutersView.of([(newer, nil), nil]) == RoutersView(record: newer, everyRouterAnswered: false))
        #expect(try RoutersView.of([(newer, nil), (nil, nil)]) == RoutersView(record: nil, everyRouterAnswered: true), "one holds none")
        #expect(throws: NoRouterAnswered.self) { try RoutersView.of([nil, nil]) }
        #expect(throws: NoRouterAnswered.self) { try RoutersView.of([]) }
    }

    @Test("a router granting a longer lease than the runbook was told of: its lease is waited out")
    func longerLeaseGranted() {
        var runbook = askingRouter()
        #expect(runbook.routerAsked(.follows(failing, leaseMilliseconds: 20_000), at: at(4)).action
            == .sleep(milliseconds: 20_000 + Limits.forcedFailoverLeaseMarginMilliseconds))
        var shorter = askingRouter()
        #expect(shorter.routerAsked(.follows(failing, leaseMilliseconds: 2_000), at: at(4)).action
            == .sleep(milliseconds: 5_000 + Limits.forcedFailoverLeaseMarginMilliseconds), "never less than its own")
    }

    @Test("no router answers: wait the lease, the margin and the record age")
    func noRouter() {
        var runbook = askingRouter()
        #expect(runbook.routerAsked(.unanswered, at: at(50)).action == .sleep(milliseconds: Limits.forcedFailoverRouterPollMilliseconds))
        _ = runbook.slept(at: at(100))
        let past = Limits.forcedFailoverRouterWaitMilliseconds + 10
        #expect(runbook.routerAsked(.unanswered, at: at(past)).action
            == .sleep(milliseconds: 5_000 + Limits.forcedFailoverLeaseMarginMilliseconds + Limits.leaseRecordAgeMillisecondsMax))
    }

    @Test("a router that answers but never shows the record may still renew: refused, and the routing given back")
    func routerBlind() {
        var runbook = askingRouter()
        let past = Limits.forcedFailoverRouterWaitMilliseconds + 10
        var output = runbook.routerAsked(.follows(record), at: at(past))
        #expect(output.steps.map(\.outcome) == [.failed])
        #expect(output.action == .restoreRouting(RoutingRecord(epoch: 1, revision: 2, activeRegion: east, state: .active)))
        output = runbook.routingRestored(at: at(past + 1))
        #expect(output.steps.map(\.name) == ["rollback"] && output.steps[0].outcome == .rolledBack)
        guard case .finish(.failed(let error)) = output.action else { Issue.record("the run fails"); return }
        #expect(error.step == "fence-or-wait" && error.reason.contains("may still renew east's lease"))
    }

    @Test("a wait cut short (cancelled) gives the routing back too")
    func waitInterrupted() {
        var runbook = askingRouter()
        _ = runbook.routerAsked(.follows(failing), at: at(4))
        #expect(runbook.actionFailed("CancellationError()", at: at(5)).action
            == .restoreRouting(RoutingRecord(epoch: 1, revision: 2, activeRegion: east, state: .active)))
        #expect(runbook.routingRestored(at: at(6)).action == .finish(.failed(FailoverError(step: "fence-or-wait", reason: "CancellationError()"))))
    }

    @Test("a failed promote ends the run; the record stays failing-over, so no region takes writes")
    func promoteFails() {
        var runbook = ForcedRunbook(source: east, target: west)
        _ = runbook.start(at: at(0))
        _ = runbook.preflightRead(targetRole: .reader, window: window, targetRecord: record, sourceRecord: nil, at: at(1))
        _ = runbook.writesStopped(reachedSource: true, at: at(2))
        _ = runbook.fenceTried(fenced: true, at: at(3))
        #expect(runbook.actionFailed("refused", at: at(4)).action == .finish(.failed(FailoverError(step: "promote", reason: "refused"))))
    }
}
