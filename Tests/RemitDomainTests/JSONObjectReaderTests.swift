import Foundation
import Testing
@testable import RemitDomain

/// The payload reader must give exactly what JSONDecoder gives: the same event for the writer's
/// bytes, and for any other bytes the decoder's own answer (it hands them over).
@Suite("event payloads read without JSONDecoder")
struct JSONObjectReaderTests {
    /// What Foundation makes of the bytes, as `LedgerEvent.decode` did before the reader.
    private func foundation(_ type: String, _ payload: [UInt8]) -> LedgerEvent? {
        let data = Data(payload)
        switch type {
        case "RemittanceCreated": return (try? JSONDecoder().decode(RemittanceDetails.self, from: data)).map(LedgerEvent.remittanceCreated)
        case "RemittanceAmended": return (try? JSONDecoder().decode(RemittanceChanges.self, from: data)).map(LedgerEvent.remittanceAmended)
        default: return (try? JSONDecoder().decode(RemittanceCancelled.self, from: data)).map(LedgerEvent.remittanceCancelled)
        }
    }

    private func agrees(_ type: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let payload = Array(text.utf8)
        #expect((try? LedgerEvent.decode(type: type, payload: payload)) == foundation(type, payload), "\(type) \(text)", sourceLocation: sourceLocation)
    }

    @Test("the writer's bytes are read by the reader, as Foundation reads them", arguments: JSONObjectWriterTests.awkward)
    func writersBytes(_ text: String) throws {
        for amount: Int64 in [0, 1, -5, 10, Int64.max, Int64.min] {
            let details = RemittanceDetails(
                senderName: text, senderBank: "B" + text, senderAccount: text, receiverName: text + "r", receiverBank: text,
                receiverAccount: text, amount: amount, currency: text, reference: amount == 0 ? nil : text
            )
            let created = LedgerEvent.remittanceCreated(details).payload()
            #expect(RemittanceChanges(canonicalPayload: created) != nil, "the fast path took \(text)")
            #expect(try LedgerEvent.decode(type: "RemittanceCreated", payload: created) == .remittanceCreated(details))
            #expect(foundation("RemittanceCreated", created) == .remittanceCreated(details))

            let changes = RemittanceChanges(receiverBank: text, amount: amount, reference: text)
            let amended = LedgerEvent.remittanceAmended(changes).payload()
            #expect(RemittanceChanges(canonicalPayload: amended) == changes)
            #expect(try LedgerEvent.decode(type: "RemittanceAmended", payload: amended) == .remittanceAmended(changes))
        }
        let cancelled = LedgerEvent.remittanceCancelled(RemittanceCancelled(reason: text)).payload()
        #expect(JSONObjectReader.members(cancelled) != nil)
        #expect(try LedgerEvent.decode(type: "RemittanceCancelled", payload: cancelled) == .remittanceCancelled(RemittanceCancelled(reason: text)))
    }

    @Test("random texts, every byte below 0x80 and some beyond, round-trip through the reader")
    func randomTexts() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = (0..<0x80).compactMap(Unicode.Scalar.init) + ["é", "汇", "💸", "\u{2028}", "\u{FEFF}"]
        for _ in 0..<500 {
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
            let changes = RemittanceChanges(senderName: text, amount: Int64.random(in: .min ... .max, using: &generator))
            let payload = LedgerEvent.remittanceAmended(changes).payload()
            #expect(RemittanceChanges(canonicalPayload: payload) == changes, "\(Array(text.unicodeScalars))")
            #expect(foundation("RemittanceAmended", payload) == .remittanceAmended(changes))
        }
    }

    static let otherForms = [
        #"{ "amount":5}"#, #"{"amount":5 }"#, #"{"reference":"a","amount":5}"#, #"{"amount":5,"amount":6}"#,
        #"{"amount":5,"extra":1}"#, #"{"amount":5,"extra":"x"}"#, #"{"amount":-0}"#, #"{"amount":007}"#, #"{"amount":1.0}"#,
        #"{"amount":1e2}"#, #"{"amount":9223372036854775807}"#, #"{"amount":9223372036854775808}"#,
        #"{"amount":-9223372036854775808}"#, #"{"amount":-9223372036854775809}"#, #"{"amount":"5"}"#, #"{"currency":5}"#,
        #"{"reference":null}"#, #"{"reference":"a\/b"}"#, #"{"reference":"\u00e9"}"#, #"{"reference":"\u00c3\u00a9"}"#,
        #"{"reference":"\u001F"}"#, #"{"reference":"\u001f"}"#, #"{"reference":"\ud83d\udcb8"}"#, #"{"reference":"\x"}"#,
        "{\"reference\":\"tab\tin\"}", #"{"reference":"open}"#, #"{"amount":5"#, #"{"amount":5}x"#, "{}", "[]", "", "{",
        #"{"reason":"r"}"#, #"{"reason":"r","x":1}"#, #"{"reason":5}"#,
        #"{"amount":5,"currency":"EUR","receiverAccount":"a","receiverBank":"b","receiverName":"c","senderAccount":"d","senderBank":"e","senderName":"f"}"#,
        #"{"amount":5,"currency":"EUR","receiverAccount":"a","receiverBank":"b","receiverName":"c","senderAccount":"d","senderBank":"e"}"#,
        #"{"amount":5,"currency":"EUR","receiverAccount":"a","receiverBank":"b","receiverName":"c","reference":"","senderAccount":"d","senderBank":"e","senderName":"f"}"#,
    ]

    @Test("any other form is Foundation's to read or refuse", arguments: otherForms)
    func otherForm(_ text: String) {
        for type in ["RemittanceCreated", "RemittanceAmended", "RemittanceCancelled"] { agrees(type, text) }
    }

    @Test("invalid UTF-8 in a string is refused, as Foundation refuses it")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0xC3], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
            let payload = Array(#"{"reason":""#.utf8) + bytes + Array(#""}"#.utf8)
            #expect(JSONObjectReader.members(payload) == nil)
            #expect((try? LedgerEvent.decode(type: "RemittanceCancelled", payload: payload)) == foundation("RemittanceCancelled", payload))
        }
    }
}
