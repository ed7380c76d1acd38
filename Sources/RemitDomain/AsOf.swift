import Foundation

/// A point in a ledger's history an auditor asks about: a log position (the state after that
/// event) or a moment (the state after every event recorded at or before it, by the writer's
/// clock).
public enum AsOf: Sendable, Equatable {
    case position(Int64)
    case time(microseconds: Int64)

    /// `asOf` as written: a position (1 to 18 digits, no sign or leading zero) or an RFC 3339
    /// date-time with an offset (`2026-12-03T14:00:00Z`, fractions to the microsecond); nil
    /// when it is neither.
    public init?(_ text: String) {
        if let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.count <= 18,
            text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let position = Int64(text)
        {
            self = .position(position)
            return
        }
        guard let date = Self.dateTime(text) else { return nil }
        self = .time(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    private static func dateTime(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? withFraction.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
