import RemitDomain
import Testing
@testable import RemitFailover

@Suite("rejoin fork")
struct RejoinForkTests {
    let first = EpochStarted(epoch: 1, writer: "east", afterPosition: 0, previousHash: LedgerFormat.genesisHash.hex)
    let hashAt30 = [UInt8](repeating: 9, count: 32)
    var second: EpochStarted { EpochStarted(epoch: 2, writer: "west", afterPosition: 30, previousHash: hashAt30.hex) }

    @Test("a reader, or a writer with no newer epoch elsewhere, stays as it is")
    func nothingToDo() {
        #expect(RejoinFork.find(role: .reader, epoch: 1, localHead: 40, writerEpochs: [first, second]) == nil)
        #expect(RejoinFork.find(role: .writer, epoch: 2, localHead: 40, writerEpochs: [first, second]) == nil)
    }

    @Test("a replaced writer that wrote past the fork: its tail is cut, and it reads from the fork")
    func cutsTail() throws {
        let fork = try #require(RejoinFork.find(role: .writer, epoch: 1, localHead: 45, writerEpochs: [first, second]))
        #expect(fork.newer == second && fork.position == 30 && fork.cutsTail && fork.readerHead == 30)
        try fork.check(localEpochs: [first], writerEpochs: [first, second])
        try fork.check(hashAtFork: hashAt30)
    }

    @Test("a fenced region behind the fork has nothing to cut and reads on from its own head")
    func behindTheFork() throws {
        let fork = try #require(RejoinFork.find(role: .fenced, epoch: 1, localHead: 25, writerEpochs: [first, second]))
        #expect(!fork.cutsTail && fork.readerHead == 25)
    }

    @Test("histories that differ, or a different hash at the fork, are left for an operator")
    func refuses() throws {
        let fork = try #require(RejoinFork.find(role: .writer, epoch: 1, localHead: 45, writerEpochs: [first, second]))
        let otherFirst = EpochStarted(epoch: 1, writer: "west", afterPosition: 0, previousHash: LedgerFormat.genesisHash.hex)
        #expect(throws: RejoinError.self) { try fork.check(localEpochs: [otherFirst], writerEpochs: [first, second]) }
        #expect(throws: RejoinError.self) { try fork.check(hashAtFork: [UInt8](repeating: 8, count: 32)) }
    }
}
