import RemitCore
import RemitDomain
import Testing
@testable import RemitFailover

/// Every transition of the planned failover, with no database: the events a driver would
/// report, and the steps and actions that come out.
@Suite("planned runbook")
struct PlannedRunbookTests {
    let east = RegionName(rawValue: "east")!, west = RegionName(rawValue: "west")!
    let t0 = ContinuousClock.now
    let fencedHead = LogHead(position: 10, hash: [UInt8](repeating: 1, count: 32), epoch: 1)
    let promotedHead = LogHead(position: 11, hash: [UInt8](repeating: 2, count: 32), epoch: 2)

    func at(_ milliseconds: Int64) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    /// A runbook east → west that has fenced east and is draining.
    func draining(timeoutMilliseconds: Int64 = 1_000) -> PlannedRunbook {
        var runbook = PlannedRunbook(source: east, target: west, drainTimeoutMilliseconds: timeoutMilliseconds)
        _ = runbook.start(at: at(0))
        _ = runbook.statesRead(source: (.writer, fencedHead), target: (.reader, LogHead(position: 9, hash: [], epoch: 1)), at: at(1))
        _ = runbook.fenced(fencedHead, at: at(2))
        return runbook
    }

    /// A runbook that has drained and is promoting.
    func promoting() -> PlannedRunbook {
        var runbook = draining()
        _ = runbook.targetRead(role: .reader, head: fencedHead, at: at(3))
        return runbook
    }

    @Test("preflight, fence, drain, promote, route, reverse: each step timed from the end of the one before")
    func succeeds() {
        var runbook = PlannedRunbook(source: east, target: west)
        #expect(runbook.start(at: at(0)).action == .readStates)
        var output = runbook.statesRead(source: (.writer, fencedHead), target: (.reader, LogHead(position: 8, hash: [], epoch: 1)), at: at(5))
        #expect(output.action == .fence(epoch: 1))
        #expect(output.steps.map(\.name) == ["preflight"] && output.steps[0].milliseconds == 5)
        #expect(output.steps[0].detail.contains("2 events behind"))
        output = runbook.fenced(fencedHead, at: at(7))
        #expect(output.action == .readTarget && output.steps[0].milliseconds == 2)
        output = runbook.targetRead(role: .reader, head: LogHead(position: 9, hash: [], epoch: 1), at: at(8))
        #expect(output == .init(steps: [], action: .sleep(milliseconds: Limits.failoverDrainPollMilliseconds)))
        #expect(runbook.slept(at: at(10)).action == .readTarget)
        output = runbook.targetRead(role: .reader, head: fencedHead, at: at(17))
        #expect(output.steps.map(\.name) == ["drain"] && output.steps[0].milliseconds == 10)
        #expect(output.action == .readLease)
        #expect(runbook.leaseRead(true, at: at(18)).action == .promote(after: fencedHead, leaseMilliseconds: Limits.writeLeaseMilliseconds))
        output = runbook.promoted(promotedHead, at: at(20))
        #expect(output.action == .route(RoutingRecord(epoch: 2, revision: 0, activeRegion: west, state: .active)))
        output = runbook.routed(at: at(21))
        #expect(output.action == .demote(epoch: 1))
        output = runbook.demoted(at: at(22))
        #expect(output.steps.map(\.name) == ["reverse"] && output.steps[0].detail.contains("from 10"))
        #expect(output.action == .finish(.succeeded(promotedHead)))
    }

    @Test("an unleased writer hands no lease on")
    func unleased() {
        var runbook = promoting()
        #expect(runbook.leaseRead(false, at: at(4)).action == .promote(after: fencedHead, leaseMilliseconds: nil))
    }

    @Test("preflight refuses a source that is not the writer, a target that is not a reader, a target too far behind")
    func preflightRefuses() {
        let reader = LogHead(position: 10, hash: [], epoch: 1)
        let cases: [((RegionRole, LogHead), (RegionRole, LogHead), String)] = [
            ((.reader, fencedHead), (.reader, reader), "east is the reader, not the writer"),
            ((.writer, fencedHead), (.writer, reader), "west is the writer, not a reader"),
            ((.writer, LogHead(position: 500, hash: [], epoch: 1)), (.reader, reader), "west is 490 events behind (at most 100)"),
        ]
        for (source, target, reason) in cases {
            var runbook = PlannedRunbook(source: east, target: west, lagEventsMax: 100)
            _ = runbook.start(at: at(0))
            let output = runbook.statesRead(source: source, target: target, at: at(1))
            #expect(output.action == .finish(.failed(FailoverError(step: "preflight", reason: reason))))
            #expect(output.steps.map(\.outcome) == [.failed])
        }
    }

    @Test("a fence that fails ends the run with nothing to roll back")
    func fenceFails() {
        var runbook = PlannedRunbook(source: east, target: west)
        _ = runbook.start(at: at(0))
        _ = runbook.statesRead(source: (.writer, fencedHead), target: (.reader, fencedHead), at: at(1))
        let output = runbook.actionFailed("the region is at epoch 2, not 1", at: at(2))
        #expect(output.action == .finish(.failed(FailoverError(step: "fence", reason: "the region is at epoch 2, not 1"))))
    }

    @Test("drain past its timeout: the writer is unfenced and the run fails as a drain failure")
    func drainTimeout() {
        var runbook = draining(timeoutMilliseconds: 100)
        var output = runbook.targetRead(role: .reader, head: LogHead(position: 9, hash: [], epoch: 1), at: at(102))
        #expect(output.action == .unfence(epoch: 1))
        #expect(output.steps.map(\.name) == ["drain"] && output.steps[0].outcome == .failed)
        output = runbook.unfenced(at: at(103))
        #expect(output.steps == [FailoverStep(name: "rollback", outcome: .rolledBack, milliseconds: 0, detail: "east unfenced; nothing else changed")])
        #expect(output.action == .finish(.failed(FailoverError(step: "drain", reason: "west did not reach 10 within 100 ms"))))
    }

    @Test("a target head that can not be read while draining also rolls back")
    func drainReadFails() {
        var runbook = draining()
        #expect(runbook.actionFailed("connection refused", at: at(5)).action == .unfence(epoch: 1))
        #expect(runbook.unfenced(at: at(6)).action == .finish(.failed(FailoverError(step: "drain", reason: "connection refused"))))
    }

    @Test("an unfence that fails says the writer stays fenced, and the run fails with the drain's reason")
    func unfenceFails() {
        var runbook = draining()
        _ = runbook.actionFailed("connection refused", at: at(5))
        let output = runbook.actionFailed("timeout", at: at(6))
        #expect(output.steps.map(\.outcome) == [.failed] && output.steps[0].detail.contains("stays fenced"))
        #expect(output.action == .finish(.failed(FailoverError(step: "drain", reason: "connection refused"))))
    }

    @Test("a failed promote with the target still a reader at the fenced head: unfence, nothing else changed")
    func promoteFailsCleanly() {
        var runbook = promoting()
        _ = runbook.leaseRead(true, at: at(4))
        var output = runbook.actionFailed("refused", at: at(5))
        #expect(output.steps.map(\.name) == ["promote"] && output.action == .readTarget)
        output = runbook.targetRead(role: .reader, head: fencedHead, at: at(6))
        #expect(output.action == .unfence(epoch: 1))
        output = runbook.unfenced(at: at(7))
        #expect(output.steps[0].detail == "east unfenced; west was not promoted")
        #expect(output.action == .finish(.failed(FailoverError(step: "promote", reason: "refused"))))
    }

    @Test("a promote that may have committed keeps the old writer fenced: never two writers")
    func promoteUncertain() {
        for (role, head) in [(RegionRole.writer, promotedHead), (.reader, LogHead(position: 9, hash: [], epoch: 1))] {
            var runbook = promoting()
            _ = runbook.leaseRead(true, at: at(4))
            _ = runbook.actionFailed("connection reset", at: at(5))
            let output = runbook.targetRead(role: role, head: head, at: at(6))
            #expect(output.steps.map(\.outcome) == [.failed] && output.steps[0].detail.contains("may have been promoted"))
            #expect(output.action == .finish(.failed(FailoverError(step: "promote", reason: "connection reset"))))
        }
        var unreadable = promoting()
        _ = unreadable.actionFailed("isLeased failed", at: at(4))
        #expect(unreadable.actionFailed("target unreachable", at: at(5)).action
            == .finish(.failed(FailoverError(step: "promote", reason: "isLeased failed"))))
    }

    @Test("after the promote, a failed route or reverse ends the run without unfencing")
    func afterPromote() {
        var runbook = promoting()
        _ = runbook.leaseRead(true, at: at(4))
        _ = runbook.promoted(promotedHead, at: at(5))
        #expect(runbook.actionFailed("east unreachable", at: at(6)).action == .finish(.failed(FailoverError(step: "route", reason: "east unreachable"))))
        var reversing = promoting()
        _ = reversing.leaseRead(true, at: at(4))
        _ = reversing.promoted(promotedHead, at: at(5))
        _ = reversing.routed(at: at(6))
        #expect(reversing.actionFailed("east unreachable", at: at(7)).action == .finish(.failed(FailoverError(step: "reverse", reason: "east unreachable"))))
    }
}
