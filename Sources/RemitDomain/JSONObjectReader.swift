/// Reads back what `JSONObjectWriter` writes — one flat object, members in strictly ascending key
/// order, string and integer values, JSONEncoder's escapes, no white space — without Foundation's
/// decoder, which cost a third of a replay's CPU (about 7 µs an event). Anything else (white
/// space, other orders, unknown escapes, numbers that are not Int64 digits, invalid UTF-8) is
/// not read here: `members` answers nil and the caller decodes with JSONDecoder, so what a payload
/// means never depends on which path read it.
public struct JSONObjectReader {
    public enum Value: Equatable {
        case string(String)
        case integer(Int64)
    }

    private let bytes: [UInt8]
    private var index = 0

    /// The members in their order, or nil when `bytes` is not in the writer's form.
    public static func members(_ bytes: [UInt8]) -> [(key: String, value: Value)]? {
        var reader = JSONObjectReader(bytes: bytes)
        return reader.object()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func object() -> [(key: String, value: Value)]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var members: [(key: String, value: Value)] = []
        if take(UInt8(ascii: "}")) { return index == bytes.count ? members : nil }
        repeat {
            guard take(UInt8(ascii: "\"")), let key = string(), take(UInt8(ascii: ":")) else { return nil }
            // Strictly ascending, as the writer adds them: also rules out a repeated key.
            if let last = members.last, !(last.key < key) { return nil }
            guard let value = value() else { return nil }
            members.append((key, value))
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), index == bytes.count else { return nil }
        return members
    }

    private mutating func value() -> Value? {
        if take(UInt8(ascii: "\"")) { return string().map(Value.string) }
        return integer().map(Value.integer)
    }

    /// After the opening quote, through the closing one.
    private mutating func string() -> String? {
        var text: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    // The writer's only \u escapes are control characters, \u0000 to \u001f; any
                    // other is a character of more than one UTF-8 byte, left to JSONDecoder.
                    guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "0"), bytes[index + 1] == UInt8(ascii: "0"),
                          let high = Self.hexDigit(bytes[index + 2]), high < 2, let low = Self.hexDigit(bytes[index + 3]) else { return nil }
                    text.append(high << 4 | low)
                    index += 4
                default: return nil
                }
            case 0x00..<0x20: return nil
            default: text.append(byte)
            }
        }
        return nil
    }

    /// -?[1-9][0-9]* or 0, within Int64: what `String(Int64)` writes.
    private mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let (times10, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            magnitude = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && magnitude == 0) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
