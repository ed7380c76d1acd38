import RemitCore
import Testing
@testable import RemitReplication

@Suite("pull loop")
struct PullLoopTests {
    @Test("a reader takes the puller lock, then pulls turn after turn without taking it again")
    func readerPulls() {
        var loop = PullLoop()
        #expect(loop.start() == .readRole)
        #expect(loop.roleRead(.reader) == .takeLock)
        #expect(loop.lockTaken(true) == .pull)
        #expect(loop.mode == .pulling && loop.holdsLock)
        #expect(loop.pulled(answered: true) == .readRole)
        #expect(loop.roleRead(.reader) == .pull)
    }

    @Test("another node holds the lock: standby, and try again later")
    func standby() {
        var loop = PullLoop()
        _ = loop.roleRead(.reader)
        #expect(loop.lockTaken(false) == .wait(milliseconds: Limits.standbyPullerCheckMilliseconds))
        #expect(loop.mode == .standbyPuller && !loop.holdsLock)
        #expect(loop.waited() == .readRole)
        #expect(loop.roleRead(.reader) == .takeLock)
    }

    @Test("a writer, a fenced region or an unclaimed database serves and checks for a newer epoch elsewhere")
    func notAReader() {
        for role: RegionRole? in [.writer, .fenced, nil] {
            var loop = PullLoop()
            #expect(loop.roleRead(role) == .checkRejoin)
            #expect(loop.mode == .serving)
            #expect(loop.rejoinChecked() == .wait(milliseconds: Limits.rejoinCheckIntervalMilliseconds))
        }
    }

    @Test("a rejoined region (now a reader) starts pulling on its next turn")
    func rejoinedThenPulls() {
        var loop = PullLoop()
        _ = loop.roleRead(.writer)
        _ = loop.rejoinChecked()
        #expect(loop.waited() == .readRole)
        #expect(loop.roleRead(.reader) == .takeLock)
    }

    @Test("failures back off, doubling to the bound; a failure drops the lock; an answer ends the back-off")
    func backOff() {
        var loop = PullLoop()
        _ = loop.roleRead(.reader)
        _ = loop.lockTaken(true)
        var waits: [Int64] = []
        for _ in 0..<7 {
            guard case .backOff(let milliseconds) = loop.failed() else { Issue.record("a failure backs off"); return }
            waits.append(milliseconds)
        }
        let min = Limits.pullBackoffMillisecondsMin, max = Limits.pullBackoffMillisecondsMax
        #expect(waits.first == min && waits.last == max)
        #expect(zip(waits, waits.dropFirst()).allSatisfy { $1 == Swift.min($0 * 2, max) })
        #expect(!loop.holdsLock)
        #expect(loop.roleRead(.reader) == .takeLock, "the lock went with the broken session")
        _ = loop.lockTaken(true)
        #expect(loop.pulled(answered: false) == .readRole)
        #expect(loop.backoffMilliseconds == max, "an unexpected answer does not end the back-off")
        _ = loop.pulled(answered: true)
        #expect(loop.backoffMilliseconds == min)
    }
}
