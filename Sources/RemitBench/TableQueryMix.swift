import RemitDomain

/// The table benchmark's queries: what people do with the console's table, drawn from a
/// fixed seed so every run asks the same things. Most pages have one condition, some two
/// (all or any), a few none; every column is sorted on, both ways; page sizes are the
/// console's; every page asks for the match count, as the console does.
struct TableQueryMix: Sendable {
    struct Query: Sendable, Equatable {
        /// The query string of `GET /api/v1/remittances`, percent-encoded.
        var parameters: String
        /// How it is reported: `no filter`, `one :`, `two, all`, …
        var shape: String
    }

    private var random: SplitMix64

    init(seed: UInt64 = 14) {
        random = SplitMix64(seed: seed)
    }

    mutating func next() -> Query {
        let draw = random.unit()
        let conditions: [RemittanceFilter.Condition]
        let shape: String
        var join = "and"
        switch draw {
        case ..<0.10:
            conditions = []
            shape = "no filter"
        case ..<0.75:
            let condition = self.condition()
            conditions = [condition]
            shape = "one \(condition.op.rawValue)"
        case ..<0.90:
            conditions = [self.condition(), self.condition()]
            shape = "two, all"
        default:
            conditions = [self.condition(), self.condition()]
            join = "or"
            shape = "two, any"
        }
        let sort = pick(RemittanceFilter.Field.allCases)
        var parameters = conditions.map { "filter=" + Self.encode($0.field.rawValue + $0.op.rawValue + $0.value) }
        if conditions.count > 1 { parameters.append("join=\(join)") }
        parameters += ["sort=\(sort.rawValue)", "order=\(pick(["asc", "desc"]))", "limit=\(pick([10, 30, 50]))", "count=true"]
        return Query(parameters: parameters.joined(separator: "&"), shape: shape)
    }

    private mutating func condition() -> RemittanceFilter.Condition {
        let field = pick(RemittanceFilter.Field.allCases.filter(\.isFilterable))
        let op: RemittanceFilter.Operator
        if field == .amount {
            op = pick([.equals, .equals, .equals, .notEquals])
        } else {
            let draw = random.unit()
            op = draw < 0.45 ? .contains : draw < 0.80 ? .equals : draw < 0.90 ? .notContains : .notEquals
        }
        return RemittanceFilter.Condition(field: field, op: op, value: value(of: field, whole: op == .equals || op == .notEquals))
    }

    /// A value people would look for: whole (a name, a bank) for = and !=, else often a fragment.
    private mutating func value(of field: RemittanceFilter.Field, whole: Bool) -> String {
        switch field {
        case .senderName, .receiverName:
            let first = pick(TableSample.firstNames), last = pick(TableSample.lastNames)
            if whole { return first + " " + last }
            return pick([first, last, (first + " " + last).lowercased(), String(first.lowercased().prefix(3))])
        case .senderBank, .receiverBank:
            let bank = pick(TableSample.banks)
            return whole ? bank : pick(bank.split(separator: " ").map(String.init)).lowercased()
        case .senderAccount, .receiverAccount:
            let digits = (0..<(whole ? 20 : 5)).map { _ in String(random.below(10)) }.joined()
            return whole ? pick(["DE", "GB"]) + digits : digits
        case .amount:
            return String(pick([500, 1_000, 2_500, 10_000, 12_345, 100_000, 250_099]))
        case .currency:
            let currency = pick(TableSample.currencies)
            return whole ? currency : String(currency.prefix(2)).lowercased()
        case .status:
            let status = pick(TableSample.statuses)
            return whole ? status : String(status.prefix(4))
        case .reference:
            let number = random.below(1_000_000)
            return whole ? "INV-\(number)" : "INV-\(number / 1_000)"
        case .id:
            let hex = (0..<32).map { _ in String(random.below(16), radix: 16) }.joined()
            guard whole else { return String(hex.prefix(6)) }
            var id = ""
            for (index, digit) in hex.enumerated() {
                if [8, 12, 16, 20].contains(index) { id += "-" }
                id.append(digit)
            }
            return id
        case .createdAt, .updatedAt:
            preconditionFailure("times are not filtered on")
        }
    }

    private mutating func pick<T>(_ choices: [T]) -> T {
        choices[Int(random.below(UInt64(choices.count)))]
    }

    /// Percent-encodes all but unreserved characters (RFC 3986), as the console does.
    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return encoded
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64): the same seed
/// gives the same queries in every run.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// In [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// In [0, bound).
    mutating func below(_ bound: UInt64) -> UInt64 {
        next() % bound
    }
}
