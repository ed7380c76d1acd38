import Foundation
import Testing
@testable import RemitDomain

@Suite("event JSON")
struct JSONObjectWriterTests {
    /// The reference: Foundation's encoder with sorted keys and unescaped slashes.
    private func reference(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static let awkward = [
        "plain", "", "quote \" backslash \\ slash /", "tab\tnew\nline\rfeed\u{0C}back\u{08}", "nul\u{0}bell\u{7}esc\u{1B}del\u{7F}",
        "Grüße 汇款 💸", "\u{2028}\u{2029}", "<script>&amp;</script>",
    ]

    @Test("payloads and metadata are the bytes JSONEncoder gives with sorted keys", arguments: awkward)
    func matchesFoundation(_ text: String) throws {
        let details = RemittanceDetails(
            senderName: text, senderBank: text, senderAccount: text, receiverName: text, receiverBank: text,
            receiverAccount: text, amount: Int64.max, currency: text, reference: text
        )
        #expect(LedgerEvent.remittanceCreated(details).payload() == (try reference(details)))
        var noReference = details
        noReference.reference = nil
        #expect(LedgerEvent.remittanceCreated(noReference).payload() == (try reference(noReference)))
        let changes = RemittanceChanges(receiverBank: text, amount: -5, reference: text)
        #expect(LedgerEvent.remittanceAmended(changes).payload() == (try reference(changes)))
        let cancelled = RemittanceCancelled(reason: text)
        #expect(LedgerEvent.remittanceCancelled(cancelled).payload() == (try reference(cancelled)))
        let started = EpochStarted(epoch: 3, writer: text, afterPosition: 0, previousHash: text)
        #expect(LedgerEvent.epochStarted(started).payload() == (try reference(started)))
        let metadata = EventMetadata(actor: text, requestID: text, idempotencyKey: text, requestHash: text)
        #expect(metadata.bytes() == (try reference(metadata)))
        #expect(EventMetadata(actor: text).bytes() == (try reference(EventMetadata(actor: text))))
    }
}

@Suite("idempotency keys and actors read from stored metadata")
struct MetadataKeyTests {
    @Test("the fast read agrees with a full decode, escapes and absence included")
    func agrees() throws {
        for key in ["abc-123", "k\"quoted\"", "back\\slash", "{\"idempotencyKey\":\"x\"}", #""actor":"mallory""#, nil] {
            for actor in ["clerk", #""idempotencyKey":"fake""#, "back\\slash"] {
                let metadata = EventMetadata(actor: actor, requestID: "r", idempotencyKey: key, requestHash: key.map { _ in "h" })
                #expect(EventMetadata.string(.idempotencyKey, in: metadata.bytes()) == key, "\(String(describing: key)) with actor \(actor)")
                #expect(EventMetadata.string(.actor, in: metadata.bytes()) == actor, "\(actor) with key \(String(describing: key))")
            }
        }
    }
}
