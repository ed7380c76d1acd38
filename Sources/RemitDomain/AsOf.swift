/// A point in a ledger's history an auditor asks about: a log position (the state after that
/// event) or a moment (the state after every event recorded at or before it, by the writer's
/// clock).
public enum AsOf: Sendable, Equatable {
    case position(Int64)
    case time(microseconds: Int64)

    /// `asOf` as written: a position (1 to 18 digits, no sign or leading zero) or an RFC 3339
    /// date-time (`2026-12-03T14:00:00Z`, `…T15:00:00.25+01:00`); nil when it is neither.
    public init?(_ text: String) {
        if let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.count <= 18,
            text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let position = Int64(text)
        {
            self = .position(position)
            return
        }
        guard let microseconds = Self.rfc3339Microseconds(text) else { return nil }
        self = .time(microseconds: microseconds)
    }

    /// Microseconds since 1970 of an RFC 3339 `date-time` (section 5.6): any offset up to
    /// ±23:59, a leap second (:60) counted as the next second, a fraction cut to the
    /// microsecond (events are stamped in microseconds, so none falls in between).
    static func rfc3339Microseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard (20...40).contains(bytes.count) else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        func byte(_ index: Int, _ allowed: String) -> Bool { index < bytes.count && allowed.utf8.contains(bytes[index]) }
        guard let year = number(0, 4), byte(4, "-"), let month = number(5, 2), byte(7, "-"), let day = number(8, 2), byte(10, "Tt"),
            let hour = number(11, 2), byte(13, ":"), let minute = number(14, 2), byte(16, ":"), let second = number(17, 2)
        else { return nil }
        var index = 19, fraction = 0
        if byte(index, ".") {
            let start = index + 1
            index = start
            while byte(index, "0123456789") { index += 1 }
            guard index > start else { return nil }
            for place in 0..<6 { fraction = fraction * 10 + (start + place < index ? Int(bytes[start + place] - 0x30) : 0) }
        }
        var offsetMinutes = 0
        if byte(index, "Zz") {
            index += 1
        } else if byte(index, "+-"), let offsetHours = number(index + 1, 2), byte(index + 3, ":"), let minutes = number(index + 4, 2),
            offsetHours <= 23, minutes <= 59
        {
            offsetMinutes = (bytes[index] == UInt8(ascii: "-") ? -1 : 1) * (offsetHours * 60 + minutes)
            index += 6
        } else {
            return nil
        }
        let monthDays = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard index == bytes.count, (1...12).contains(month), (1...monthDays[month - 1]).contains(day), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        // Days from 1970-01-01 to the date (the proleptic Gregorian calendar, after H. Hinnant).
        let shifted = month <= 2 ? year - 1 : year
        let era = shifted / 400, yearOfEra = shifted - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let days = era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetMinutes) * 60
        return seconds * 1_000_000 + Int64(fraction)
    }
}
