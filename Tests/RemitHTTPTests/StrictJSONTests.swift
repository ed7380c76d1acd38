import RemitStrictJSON
import Testing
@testable import RemitHTTP

@Suite("strict JSON")
struct StrictJSONTests {
    private func parse(_ text: String) throws -> JSONValue { try StrictJSON.parse(Array(text.utf8)) }

    @Test("accepts RFC 8259 JSON")
    func accepts() throws {
        #expect(try parse(#" {"a": [1, -2.5e3, true, false, null, "x\"\\\/\n\u00e9\ud83d\udcb8"]} "#)
            == .object(["a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x\"\\/\né💸")])]))
        #expect(try parse("0") == .number("0"))
        #expect(try parse(#""""#) == .string(""))
    }

    @Test("refuses what lenient parsers let through", arguments: [
        #"{"a": 1, "a": 2}"#, "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1", "1e", "0x10",
        #"{"a": 1,}"#, "[1,]", #"{'a': 1}"#, "\"tab\there\"", #""\x41""#, #""\ud800""#, #""\udc00x""#,
        "{} {}", "", " ", "[", "{\"a\"", "tru", "nul", "// comment\n1",
    ])
    func refuses(_ text: String) {
        #expect(throws: JSONSyntaxError.self, "\(text.debugDescription)") { try parse(text) }
    }

    @Test("refuses invalid UTF-8 and deep nesting")
    func limits() {
        #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: StrictJSON.depthMax + 1) + String(repeating: "]", count: StrictJSON.depthMax + 1)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
        let allowed = String(repeating: "[", count: StrictJSON.depthMax) + String(repeating: "]", count: StrictJSON.depthMax)
        #expect(throws: Never.self) { try parse(allowed) }
    }
}
