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

    @Test("a number is the integer it equals, as JSON Schema's integer: 1.0 and 2e3 are integers, 12.5 is not")
    func exactIntegers() {
        let integers: [String: Int64] = [
            "1": 1, "-7": -7, "1.0": 1, "1.000": 1, "2e3": 2_000, "2E+3": 2_000, "1.5e1": 15, "1200e-2": 12,
            "0.0": 0, "-0": 0, "0e500": 0, "9223372036854775807": .max, "9.223372036854775807e18": .max, "100000000000.0": 100_000_000_000,
        ]
        for (literal, value) in integers { #expect(FieldReader.exactInteger(literal) == value, "\(literal)") }
        for literal in ["12.5", "1e-1", "1250e-2", "9223372036854775808", "1e19", "1e400", "1e99999999999999999999", "0.1e1000"] {
            #expect(FieldReader.exactInteger(literal) == nil, "\(literal)")
        }
    }
}
