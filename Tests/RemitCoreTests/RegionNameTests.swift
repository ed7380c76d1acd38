import RemitCore
import Testing

@Suite("region names")
struct RegionNameTests {
    @Test("valid names", arguments: ["east", "west", "eu-west-1", "a", String(repeating: "x", count: 32)])
    func valid(name: String) {
        #expect(RegionName(rawValue: name)?.rawValue == name)
    }

    @Test("invalid names", arguments: ["", "East", "1east", "-east", "east_1", "east west", "öst", String(repeating: "x", count: 33)])
    func invalid(name: String) {
        #expect(RegionName(rawValue: name) == nil)
    }
}
