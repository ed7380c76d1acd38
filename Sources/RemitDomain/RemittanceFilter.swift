/// What a client may ask of the remittance table: conditions on fields (`senderName:ali`,
/// `currency=EUR`, `status!=cancelled`, `reference!:test`), all or any of them, sorted on one
/// column. Pure: parsed and checked here, turned into SQL by the storage.
public struct RemittanceFilter: Sendable, Equatable {
    public enum Field: String, Sendable, CaseIterable {
        case id, status, senderName, senderBank, senderAccount, receiverName, receiverBank, receiverAccount
        case amount, currency, reference, createdAt, updatedAt

        /// Fields a condition may name; times are for sorting only.
        public var isFilterable: Bool { self != .createdAt && self != .updatedAt }
        public var isNumber: Bool { self == .amount || self == .createdAt || self == .updatedAt }
    }

    public enum Operator: String, Sendable, CaseIterable {
        case contains = ":", notContains = "!:", equals = "=", notEquals = "!="
    }

    public struct Condition: Sendable, Equatable {
        public var field: Field
        public var op: Operator
        public var value: String

        public init(field: Field, op: Operator, value: String) {
            self.field = field
            self.op = op
            self.value = value
        }

        /// `field` `op` `value`, the operator being the first of `!:`, `!=`, `:`, `=` after
        /// the name; a reason when the text is not one.
        /// Read code point by code point: a value may begin with a combining mark or an emoji
        /// modifier, which would join the operator into one Character.
        public static func parse(_ text: String) -> Result<Condition, FilterError> {
            let scalars = text.unicodeScalars
            guard let split = scalars.firstIndex(where: { $0 == ":" || $0 == "=" || $0 == "!" }) else {
                return .failure(FilterError("\(text.prefix(40)) has no operator: use field:value, field!:value, field=value or field!=value"))
            }
            let name = String(scalars[..<split])
            guard let field = Field(rawValue: name) else {
                return .failure(FilterError("\(name.prefix(40)) is not a field: " + Field.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            let rest = scalars[split...]
            guard let op = [Operator.notContains, .notEquals, .contains, .equals].first(where: { rest.starts(with: $0.rawValue.unicodeScalars) }) else {
                return .failure(FilterError("after \(name) comes one of :, !:, = or !="))
            }
            let value = String(String.UnicodeScalarView(rest.dropFirst(op.rawValue.unicodeScalars.count)))
            guard field.isFilterable else { return .failure(FilterError("\(name) can be sorted on, not filtered")) }
            guard value.unicodeScalars.count <= Validation.nameLengthMax else {
                return .failure(FilterError("a value may be at most \(Validation.nameLengthMax) characters"))
            }
            guard !value.unicodeScalars.contains(where: { $0.value == 0 }) else { return .failure(FilterError("a value may not hold NUL")) }
            if field == .amount {
                // At most 18 digits (every one fits in 64 bits), as the document's pattern says.
                let digits = value.hasPrefix("-") ? value.utf8.dropFirst() : value.utf8[...]
                guard op == .equals || op == .notEquals, (1...18).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    return .failure(FilterError("amount takes = or != and a whole number of minor units"))
                }
            }
            return .success(Condition(field: field, op: op, value: value))
        }

        /// Whether a field holding `text` meets the condition, compared as the database
        /// compares: "contains" ignoring the case of ASCII letters (ILIKE in the C locale, byte
        /// for byte), "equals" exactly. For fields with few values (a status, a currency), the
        /// storage turns a condition into the list of values that meet it, which an index serves.
        public func holds(for text: String) -> Bool {
            switch op {
            case .contains: Self.contains(text, value)
            case .notContains: !Self.contains(text, value)
            case .equals: text == value
            case .notEquals: text != value
            }
        }

        private static func contains(_ text: String, _ fragment: String) -> Bool {
            func folded(_ string: String) -> [UInt8] {
                string.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
            }
            let haystack = folded(text), needle = folded(fragment)
            guard needle.count <= haystack.count else { return false }
            return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
    }

    public struct FilterError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Conditions at most, so a query stays cheap to plan.
    public static let conditionsMax = 10

    public var conditions: [Condition]
    /// True: every condition must hold ("and"); false: any one ("or").
    public var matchAll: Bool
    public var sort: Field
    public var descending: Bool

    public init(conditions: [Condition] = [], matchAll: Bool = true, sort: Field = .createdAt, descending: Bool = true) {
        precondition(conditions.count <= Self.conditionsMax, "at most \(Self.conditionsMax) conditions")
        self.conditions = conditions
        self.matchAll = matchAll
        self.sort = sort
        self.descending = descending
    }
}
