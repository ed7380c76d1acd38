import Foundation
import Testing
@testable import RemitDomain

@Suite("as of a point")
struct AsOfTests {
    @Test("positions and RFC 3339 date-times, every offset and a leap second; nothing else")
    func parse() {
        #expect(AsOf("1") == .position(1) && AsOf("123456789012345678") == .position(123_456_789_012_345_678))
        let cases: [String: Int64] = [
            "1970-01-01T00:00:00Z": 0,
            "2026-12-03T14:00:00Z": 1_796_306_400_000_000,
            "2026-12-03t15:00:00.25+01:00": 1_796_306_400_250_000,
            "2026-12-03T14:00:00.1234569z": 1_796_306_400_123_456,
            "4066-11-14T21:01:45.93+18:39": 66_170_830_965_930_000,  // Python's datetime says so
            "2016-12-31T23:59:60Z": 1_483_228_800_000_000,
            "2024-02-29T00:00:00-00:30": 1_709_166_600_000_000,
            "0001-01-01T00:00:00Z": -62_135_596_800_000_000,
        ]
        for (text, microseconds) in cases { #expect(AsOf(text) == .time(microseconds: microseconds), "\(text)") }
        for bad in ["0", "-1", "0123", "1234567890123456789", "1e3", "", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-12-03T24:00:00Z",
                    "2026-12-03T14:00:00", "2026-12-03 14:00:00Z", "2026-12-03T14:00:00+24:00", "2026-12-03T14:00:00.Z", "2026-12-03T14:00:61Z"] {
            #expect(AsOf(bad) == nil, "\(bad)")
        }
    }

    @Test("a date-time agrees with Foundation's reading of it")
    func agreesWithFoundation() throws {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for text in ["2026-12-03T14:00:00.500Z", "1999-12-31T23:59:59.999+05:30", "2000-02-29T12:34:56.000-08:00"] {
            let date = try style.parse(text)
            #expect(AsOf(text) == .time(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded())), "\(text)")
        }
    }
}
