import Foundation
import Testing
@testable import RemitDomain

@Suite("batch decision")
struct BatchDecisionTests {
    let head = LogHead(position: 41, hash: [UInt8](repeating: 7, count: 32), epoch: 3)
    let now: Int64 = 1_800_000_000_000_000

    private func create(key: String? = nil, hash: String? = nil, by actor: String = "clerk", details: RemittanceDetails = sample) -> LedgerCommand {
        .create(id: UUID(), details: details, metadata: EventMetadata(actor: actor, idempotencyKey: key, requestHash: hash))
    }

    private func decide(_ commands: [LedgerCommand], keyed: [IdempotencyClaim: BatchDecision.KeyedCreate] = [:], streams: [UUID: Remittance] = [:]) -> BatchDecision {
        BatchDecision.decide(commands, after: head, nowMicroseconds: now, amountMax: 1_000_000, keyed: keyed, streams: streams)
    }

    @Test("accepted commands take consecutive positions on one hash chain from the head, at the head's epoch")
    func chain() throws {
        let decision = decide([create(), create(), create()])
        #expect(decision.sealed.map(\.position) == [42, 43, 44])
        #expect(decision.sealed.allSatisfy { $0.epoch == 3 && $0.recordedAtMicroseconds == now })
        #expect(decision.head.position == 44 && decision.head.hash == decision.sealed.last?.hash)
        let verified = LedgerFormat.verify(decision.sealed, previousPosition: 41, previousHash: head.hash, previousEpoch: 3)
        #expect((try? verified.get()) != nil)
        #expect(decision.outcomes.map { try? $0.get().position } == [42, 43, 44])
    }

    @Test("a refused command takes no position and leaves the others as they are")
    func refusedInTheMiddle() throws {
        var bad = sample
        bad.amount = 0
        let decision = decide([create(), create(details: bad), create()])
        #expect(decision.sealed.map(\.position) == [42, 43])
        guard case .failure(.invalid) = decision.outcomes[1] else { Issue.record("the middle command is refused"); return }
        #expect(try decision.outcomes[2].get().position == 43)
    }

    @Test("nothing accepted: no events and the head as it was")
    func nothingAccepted() {
        var bad = sample
        bad.currency = "XX"
        let decision = decide([create(details: bad)])
        #expect(decision.sealed.isEmpty)
        #expect(decision.head == head)
    }

    @Test("a key the log holds: the same request repeats the earlier remittance, another request is refused")
    func keysInTheLog() throws {
        let earlier = UUID()
        let current = Remittance(id: earlier, details: sample, status: .created, version: 1, createdAt: Date(), updatedAt: Date())
        let keyed = [IdempotencyClaim(key: "k1", scope: "clerk"): BatchDecision.KeyedCreate(streamID: earlier, requestHash: "h1")]
        let decision = decide([create(key: "k1", hash: "h1"), create(key: "k1", hash: "other")], keyed: keyed, streams: [earlier: current])
        #expect(decision.sealed.isEmpty)
        let repeated = try decision.outcomes[0].get()
        #expect(repeated.isRepeat && repeated.remittance.id == earlier && repeated.position == nil)
        guard case .failure(.idempotencyKeyReused("k1")) = decision.outcomes[1] else { Issue.record("another body is refused"); return }
    }

    @Test("the same key twice in one batch creates once: the second is a repeat of the first")
    func keyTwiceInOneBatch() throws {
        let decision = decide([create(key: "k2", hash: "h"), create(key: "k2", hash: "h")])
        #expect(decision.sealed.count == 1 && IdempotencyClaim(decision.sealed[0]) == IdempotencyClaim(key: "k2", scope: "clerk"))
        let first = try decision.outcomes[0].get(), second = try decision.outcomes[1].get()
        #expect(!first.isRepeat && second.isRepeat && second.remittance.id == first.remittance.id)
    }

    @Test("a key is its principal's: another principal's same key and body is a new create, in the log or in the batch")
    func keysArePerPrincipal() throws {
        let earlier = UUID()
        let current = Remittance(id: earlier, details: sample, status: .created, version: 1, createdAt: Date(), updatedAt: Date())
        let keyed = [IdempotencyClaim(key: "k1", scope: "admin"): BatchDecision.KeyedCreate(streamID: earlier, requestHash: "h1")]
        let decision = decide(
            [create(key: "k1", hash: "h1", by: "clerk"), create(key: "k1", hash: "other", by: "auditor"), create(key: "k1", hash: "h1", by: "admin")],
            keyed: keyed, streams: [earlier: current]
        )
        let clerks = try decision.outcomes[0].get(), auditors = try decision.outcomes[1].get(), admins = try decision.outcomes[2].get()
        #expect(!clerks.isRepeat && !auditors.isRepeat && clerks.remittance.id != earlier && auditors.remittance.id != clerks.remittance.id)
        #expect(admins.isRepeat && admins.remittance.id == earlier)
        #expect(decision.sealed.map { IdempotencyClaim($0) } == [IdempotencyClaim(key: "k1", scope: "clerk"), IdempotencyClaim(key: "k1", scope: "auditor")])
    }

    @Test("a recorded event's claim is the one its command made; only a create's key is scoped")
    func claimsFromEvents() throws {
        let metadata = EventMetadata(actor: "user:clerk", idempotencyKey: "pay-1", requestHash: "h")
        let decision = decide([.create(id: UUID(), details: sample, metadata: metadata)])
        #expect(IdempotencyClaim(decision.sealed[0]) == IdempotencyClaim(create: metadata))
        let audit = LedgerFormat.seal(
            position: 42, epoch: 3, streamID: UUID(), streamVersion: 1, event: .remittanceCancelled(RemittanceCancelled(reason: "r")),
            metadata: EventMetadata(actor: "user:clerk", idempotencyKey: "audit:1"), recordedAtMicroseconds: now, previousHash: head.hash
        )
        #expect(IdempotencyClaim(audit) == IdempotencyClaim(key: "audit:1", scope: nil))
    }

    @Test("an amend after a create in the same batch sees the created state and the next version")
    func amendAfterCreate() throws {
        let id = UUID()
        let created = LedgerCommand.create(id: id, details: sample, metadata: EventMetadata(actor: "clerk"))
        var changes = RemittanceChanges()
        changes.amount = 500
        let amend = LedgerCommand.amend(id: id, expectedVersion: 1, changes: changes, metadata: EventMetadata(actor: "clerk"))
        let stale = LedgerCommand.amend(id: id, expectedVersion: 1, changes: changes, metadata: EventMetadata(actor: "clerk"))
        let decision = decide([created, amend, stale])
        #expect(decision.sealed.map(\.streamVersion) == [1, 2])
        #expect(try decision.outcomes[1].get().remittance.details.amount == 500)
        guard case .failure(.versionMismatch(expected: 1, current: 2)) = decision.outcomes[2] else {
            Issue.record("a second amend at version 1 is refused"); return
        }
    }
}
