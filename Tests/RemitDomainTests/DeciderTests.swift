import Foundation
import Testing
@testable import RemitDomain

let sample = RemittanceDetails(
    senderName: "Alice Example", senderBank: "First Bank", senderAccount: "DE89370400440532013000",
    receiverName: "Bob Example", receiverBank: "Second Bank", receiverAccount: "GB29NWBK60161331926819",
    amount: 12_345, currency: "EUR", reference: "rent"
)

@Suite("validation")
struct ValidationTests {
    private func errors(_ details: RemittanceDetails, amountMax: Int64 = 1_000_000) -> [String] {
        guard case .failure(.invalid(let errors)) = Validation.check(details, amountMax: amountMax) else { return [] }
        return errors.map(\.field)
    }

    @Test("valid details pass, trimmed; the rules apply to the text as sent")
    func valid() throws {
        var padded = sample
        padded.senderName = "  Alice Example \u{3000}"
        padded.reference = ""
        let clean = try Validation.check(padded, amountMax: 1_000_000).get()
        #expect(clean.senderName == "Alice Example")
        #expect(clean.reference == nil)
        padded.senderName = "Alice Example\n"
        padded.reference = "  "
        #expect(errors(padded) == ["senderName", "reference"], "a line break is a control character; a reference of spaces shows nothing")
        padded = sample
        padded.senderName = " " + String(repeating: "x", count: 100)
        #expect(errors(padded) == ["senderName"], "101 code points as sent, though 100 once trimmed")
    }

    @Test("every text field: not empty, at most 100 characters, no control characters")
    func textFields() {
        for field in ["senderName", "senderBank", "senderAccount", "receiverName", "receiverBank", "receiverAccount"] {
            for bad in ["", "   ", String(repeating: "x", count: 101), "tab\there", "nul\u{0}", "bell\u{7}"] {
                var details = sample
                switch field {
                case "senderName": details.senderName = bad
                case "senderBank": details.senderBank = bad
                case "senderAccount": details.senderAccount = bad
                case "receiverName": details.receiverName = bad
                case "receiverBank": details.receiverBank = bad
                default: details.receiverAccount = bad
                }
                #expect(errors(details) == [field], "\(field) = \(bad.debugDescription)")
            }
        }
        var unicode = sample
        unicode.senderName = String(repeating: "é", count: 100)
        #expect(errors(unicode).isEmpty, "100 characters, not 100 bytes")
    }

    /// Text that would show as something other than what it holds (UTS #39's guidance).
    @Test("names that would show as something else are refused", arguments: [
        "\u{200B}\u{200B}\u{200B}",  // zero-width spaces only
        "\u{2060}",  // word joiner only
        "Alice\u{202E}ecilA",  // right-to-left override
        "Bob\u{2067}x\u{2069}",  // a right-to-left isolate
        "\u{FEFF}Carol",  // a byte-order mark
        "Dan\u{E0041}\u{E007F}",  // tag characters
        "Eve\u{FFFF}",  // a noncharacter
        "Fay\u{E000}",  // private use
        "Gil\u{50000}",  // unassigned
        "Hal\u{00AD}",  // a soft hyphen (invisible)
    ])
    func spoofing(name: String) {
        var details = sample
        details.receiverName = name
        #expect(errors(details) == ["receiverName"], "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        details = sample
        details.reference = name
        #expect(errors(details) == ["reference"])
    }

    @Test("names in every script, with joiners and emoji, are taken", arguments: [
        "José Müller", "Ελένη", "Иван Петров", "محمد", "שרה", "王小明", "สมชาย", "क्षत्रिय",
        "می\u{200C}خواهم",  // Persian with a zero-width non-joiner
        "👨\u{200D}👩\u{200D}👧",  // a family emoji joined by ZWJ
    ])
    func scripts(name: String) {
        var details = sample
        details.senderName = name
        #expect(errors(details).isEmpty, "\(name)")
    }

    @Test("amount: positive whole minor units, at most the maximum")
    func amount() {
        for (value, ok) in [(Int64(1), true), (1_000_000, true), (0, false), (-5, false), (1_000_001, false), (Int64.max, false)] {
            var details = sample
            details.amount = value
            #expect(errors(details).isEmpty == ok, "amount \(value)")
        }
    }

    @Test("currency: an ISO 4217 code in upper case")
    func currency() {
        for (code, ok) in [("USD", true), ("JPY", true), ("usd", false), ("XXX", false), ("US", false), ("", false)] {
            var details = sample
            details.currency = code
            #expect(errors(details).isEmpty == ok, "currency \(code)")
        }
    }

    @Test("reference: optional, at most 140 characters")
    func reference() {
        var details = sample
        details.reference = String(repeating: "r", count: 140)
        #expect(errors(details).isEmpty)
        details.reference = String(repeating: "r", count: 141)
        #expect(errors(details) == ["reference"])
        details.reference = nil
        #expect(errors(details).isEmpty)
    }

    @Test("every bad field is listed at once")
    func allErrors() {
        let bad = RemittanceDetails(senderName: "", senderBank: "", senderAccount: "", receiverName: "", receiverBank: "",
                                    receiverAccount: "", amount: 0, currency: "??", reference: nil)
        #expect(errors(bad).count == 8)
    }

    @Test("an amendment must change something, and what it changes follows the same rules")
    func changes() {
        #expect(Validation.check(RemittanceChanges(), amountMax: 100) == .failure(.invalid([FieldError(field: "", message: "an amendment must change at least one field")])))
        guard case .failure(.invalid(let errors)) = Validation.check(RemittanceChanges(amount: -1, currency: "usd"), amountMax: 100) else {
            Issue.record("expected errors")
            return
        }
        #expect(errors.map(\.field) == ["amount", "currency"])
        #expect((try? Validation.check(RemittanceChanges(reference: ""), amountMax: 100).get())?.reference == "")
    }
}

@Suite("decider")
struct DeciderTests {
    let id = UUID()
    let at = Date(timeIntervalSince1970: 1_800_000_000)

    private func created() -> Remittance {
        Decider.apply(.remittanceCreated(sample), id: id, version: 1, at: at, to: nil)!
    }

    @Test("create, amend and cancel fold into the current state")
    func lifecycle() throws {
        var state = created()
        #expect(state.status == .created && state.version == 1)
        let amend = try Decider.amend(RemittanceChanges(amount: 99, reference: ""), expectedVersion: 1, current: state, id: id, amountMax: 1_000).get()
        state = Decider.apply(amend, id: id, version: 2, at: at.addingTimeInterval(1), to: state)!
        #expect(state.details.amount == 99 && state.details.reference == nil && state.status == .amended && state.version == 2)
        let cancel = try Decider.cancel(reason: " duplicate ", expectedVersion: 2, current: state, id: id).get()
        state = Decider.apply(cancel, id: id, version: 3, at: at.addingTimeInterval(2), to: state)!
        #expect(state.status == .cancelled && state.cancellationReason == "duplicate" && state.version == 3)
        #expect(state.createdAt == at && state.updatedAt == at.addingTimeInterval(2))
    }

    @Test("a stale version, an unknown remittance and a cancelled one are refused")
    func refusals() {
        let state = created()
        #expect(Decider.amend(RemittanceChanges(amount: 5), expectedVersion: 2, current: state, id: id, amountMax: 10) == .failure(.versionMismatch(expected: 2, current: 1)))
        #expect(Decider.cancel(reason: "x", expectedVersion: 1, current: nil, id: id) == .failure(.notFound(id)))
        var cancelled = state
        cancelled.status = .cancelled
        #expect(Decider.amend(RemittanceChanges(amount: 5), expectedVersion: 1, current: cancelled, id: id, amountMax: 10) == .failure(.alreadyCancelled(id)))
        #expect(Decider.cancel(reason: "again", expectedVersion: 1, current: cancelled, id: id) == .failure(.alreadyCancelled(id)))
        #expect(Decider.cancel(reason: "  ", expectedVersion: 1, current: state, id: id) == .failure(.invalid([FieldError(field: "reason", message: "must not be empty")])))
    }

    @Test("events round-trip through their payload bytes")
    func payloads() throws {
        let events: [LedgerEvent] = [
            .epochStarted(EpochStarted(epoch: 2, writer: "west", afterPosition: 9, previousHash: String(repeating: "a", count: 64))),
            .remittanceCreated(sample), .remittanceAmended(RemittanceChanges(amount: 1)),
            .remittanceCancelled(RemittanceCancelled(reason: "r")),
        ]
        for event in events {
            #expect(try LedgerEvent.decode(type: event.type, payload: event.payload()) == event)
        }
        #expect(throws: LedgerEvent.UnknownEvent.self) { try LedgerEvent.decode(type: "Nope", payload: []) }
    }

    @Test("the fingerprint ignores nothing that matters and everything that does not")
    func fingerprint() {
        var other = sample
        #expect(other.fingerprint == sample.fingerprint)
        other.amount += 1
        #expect(other.fingerprint != sample.fingerprint)
    }
}

@Suite("hash chain")
struct HashChainTests {
    private func chain(_ count: Int) -> [RecordedEvent] {
        var previous = LedgerFormat.genesisHash
        return (1...count).map { position in
            let event = LedgerFormat.seal(
                position: Int64(position), epoch: 1, streamID: UUID(), streamVersion: 1, event: .remittanceCreated(sample),
                metadata: EventMetadata(actor: "test"), recordedAtMicroseconds: 1_800_000_000_000_000 + Int64(position),
                previousHash: previous
            )
            previous = event.hash
            return event
        }
    }

    @Test("a sealed chain verifies")
    func verifies() {
        let events = chain(20)
        #expect((try? LedgerFormat.verify(events, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0).get()) != nil)
    }

    @Test("any change to any field breaks the chain at that event")
    func tamper() {
        let events = chain(5)
        var cases: [(String, (inout RecordedEvent) -> Void)] = []
        cases.append(("payload", { $0.payload[3] ^= 1 }))
        cases.append(("metadata", { $0.metadata.append(32) }))
        cases.append(("time", { $0.recordedAtMicroseconds += 1 }))
        cases.append(("version", { $0.streamVersion = 2 }))
        cases.append(("type", { $0.type = "RemittanceAmended" }))
        cases.append(("stream", { $0.streamID = UUID() }))
        for (name, change) in cases {
            var tampered = events
            change(&tampered[2])
            let result = LedgerFormat.verify(tampered, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0)
            #expect(result.failureValue?.position == 3, "\(name)")
        }
        var gap = events
        gap.remove(at: 1)
        #expect(LedgerFormat.verify(gap, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0).failureValue?.position == 3)
    }

    @Test("the canonical record is length-prefixed fields in the documented order")
    func canonicalRecord() {
        let id = UUID(uuidString: "3B9BA44A-B1CC-49B6-8404-2E9561B416B1")!
        let record = LedgerFormat.canonicalRecord(position: 7, epoch: 2, streamID: id, streamVersion: 3, type: "T",
                                                  recordedAtMicroseconds: 42, payload: [0x7B, 0x7D], metadata: [])
        let expected: [UInt8] = [0, 0, 0, 1] + Array("7".utf8) + [0, 0, 0, 1] + Array("2".utf8)
            + [0, 0, 0, 36] + Array("3b9ba44a-b1cc-49b6-8404-2e9561b416b1".utf8) + [0, 0, 0, 1] + Array("3".utf8)
            + [0, 0, 0, 1] + Array("T".utf8) + [0, 0, 0, 2] + Array("42".utf8) + [0, 0, 0, 2, 0x7B, 0x7D] + [0, 0, 0, 0]
        #expect(record == expected)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
