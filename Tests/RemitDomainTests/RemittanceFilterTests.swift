import RemitDomain
import Testing

@Suite("remittance filter")
struct RemittanceFilterTests {
    func condition(_ text: String) throws -> RemittanceFilter.Condition {
        try RemittanceFilter.Condition.parse(text).get()
    }

    @Test("a condition holds for a value as the database compares: contains ignoring ASCII case, equals exactly")
    func holds() throws {
        #expect(try condition("currency:eu").holds(for: "EUR"))
        #expect(try condition("currency:").holds(for: "EUR"), "an empty fragment is in everything")
        #expect(try !condition("currency:euro").holds(for: "EUR"))
        #expect(try !condition("currency!:U").holds(for: "USD"))
        #expect(try condition("currency!:x").holds(for: "USD"))
        #expect(try condition("status=created").holds(for: "created"))
        #expect(try !condition("status=Created").holds(for: "created"), "equals is exact, as = in SQL")
        #expect(try condition("status!=created").holds(for: "amended"))
        // ILIKE in the C locale folds only ASCII letters.
        #expect(try !condition("senderName:é").holds(for: "É"))
        #expect(try condition("senderName:ÉL").holds(for: "Él"), "only the ASCII letter is folded")
    }

    @Test("a value may begin with a combining mark or an emoji modifier: the operator is still found")
    func combiningValue() throws {
        // "=" followed by U+1F3FB is one Character; the operator must be read per code point.
        let skinTone = try condition("receiverAccount=\u{1F3FB}x")
        #expect(skinTone.field == .receiverAccount && skinTone.op == .equals && skinTone.value == "\u{1F3FB}x")
        let accent = try condition("senderName!:\u{0301}e")
        #expect(accent.op == .notContains && accent.value.unicodeScalars.map(\.value) == [0x301, 0x65])
    }

    @Test("parsing names the reason a condition is refused")
    func parsing() {
        #expect(throws: RemittanceFilter.FilterError.self) { try RemittanceFilter.Condition.parse("nope:1").get() }
        #expect(throws: RemittanceFilter.FilterError.self) { try RemittanceFilter.Condition.parse("amount:1").get() }
        #expect(throws: RemittanceFilter.FilterError.self) { try RemittanceFilter.Condition.parse("createdAt=1").get() }
        #expect(throws: RemittanceFilter.FilterError.self) { try RemittanceFilter.Condition.parse("senderName").get() }
    }
}
