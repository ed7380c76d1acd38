import Testing
@testable import RemitReplication

@Suite("commit signal", .timeLimit(.minutes(1)))
struct CommitSignalTests {
    @Test("a commit between the pull's look at the log and its wait still wakes it")
    func commitBeforeWaitIsNotMissed() async {
        let commits = CommitSignal()
        let seen = commits.generation
        commits.signal()  // the commit lands while the pull is still reading the log
        // Were the signal missed, this would wait out the ten minutes (and the time limit fail the test).
        await commits.wait(after: seen, milliseconds: 600_000)
        #expect(commits.generation == seen + 1)
    }

    @Test("a waiting pull wakes at the next commit")
    func waiterWakesAtCommit() async {
        let commits = CommitSignal()
        let seen = commits.generation
        async let woken: Void = commits.wait(after: seen, milliseconds: 600_000)
        // Signal until the waiter has gone: it may not be registered yet at the first signal,
        // and a signal before it registers wakes it as well (the generation moved).
        let signalling = Task {
            while !Task.isCancelled {
                commits.signal()
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        await woken
        signalling.cancel()
        #expect(commits.generation > seen)
    }

    @Test("with no commit the wait ends after its bound")
    func waitIsBounded() async {
        let commits = CommitSignal()
        await commits.wait(after: commits.generation, milliseconds: 20)
        #expect(commits.generation == 0)
    }
}
