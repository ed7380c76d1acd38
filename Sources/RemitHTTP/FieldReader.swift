import RemitStrictJSON
import RemitWire
import RemitDomain

/// Reads the members of a JSON object as typed fields, collecting every problem (unknown
/// members, missing ones, wrong types) instead of stopping at the first. A member sent as
/// `null` is a wrong type, not an absent one, unless the document declares it nullable: a
/// change that says `"receiverName": null` must not pass as a change of nothing else.
struct FieldReader {
    private let members: [String: JSONValue]
    private(set) var errors: [FieldError] = []

    init(_ value: JSONValue, allowed: Set<String>) {
        guard case .object(let members) = value else {
            self.members = [:]
            errors.append(FieldError(field: "", message: "the body must be a JSON object"))
            return
        }
        self.members = members
        for key in members.keys.sorted() where !allowed.contains(key) {
            errors.append(FieldError(field: key, message: "is not a known field"))
        }
    }

    /// `nullable`: `null` is accepted as "none", where the document says so.
    mutating func string(_ key: String, required: Bool = true, nullable: Bool = false) -> String? {
        switch members[key] {
        case .string(let value): return value
        case .null where nullable: return nil
        case nil:
            if required { errors.append(FieldError(field: key, message: "is required")) }
            return nil
        default:
            errors.append(FieldError(field: key, message: "must be a string"))
            return nil
        }
    }

    /// A list of strings (an empty list is allowed here; callers decide).
    mutating func strings(_ key: String, countMax: Int) -> [String]? {
        switch members[key] {
        case .array(let values):
            var strings: [String] = []
            for value in values {
                guard case .string(let text) = value else {
                    errors.append(FieldError(field: key, message: "must be a list of strings"))
                    return nil
                }
                strings.append(text)
            }
            guard strings.count <= countMax else {
                errors.append(FieldError(field: key, message: "may hold at most \(countMax) items"))
                return nil
            }
            return strings
        case nil:
            errors.append(FieldError(field: key, message: "is required"))
            return nil
        default:
            errors.append(FieldError(field: key, message: "must be a list of strings"))
            return nil
        }
    }

    /// A list of `count` values of any kind (the caller reads each); `noun` names them in the problems.
    mutating func list(_ key: String, count: ClosedRange<Int>, of noun: String) -> [JSONValue]? {
        switch members[key] {
        case .array(let values) where count.contains(values.count): return values
        case .array: errors.append(FieldError(field: key, message: "must hold \(count.lowerBound) to \(count.upperBound) \(noun)"))
        case nil: errors.append(FieldError(field: key, message: "is required, a list of \(noun)"))
        default: errors.append(FieldError(field: key, message: "must be a list of \(noun)"))
        }
        return nil
    }

    /// A true/false member; absent means `default`.
    mutating func bool(_ key: String, default value: Bool) -> Bool {
        switch members[key] {
        case .bool(let flag): return flag
        case nil: return value
        default:
            errors.append(FieldError(field: key, message: "must be true or false"))
            return value
        }
    }

    /// Throws the collected problems as one 422, if there are any.
    func check() throws {
        if !errors.isEmpty { throw Problem(DomainError.invalid(errors)) }
    }

    /// A whole number that fits in 64 bits. As in JSON Schema, whose `integer` the document
    /// declares, a number with a zero fraction or an exponent (`1.0`, `2e3`) is the integer it
    /// equals; `12.5` is not one.
    mutating func int64(_ key: String, required: Bool = true) -> Int64? {
        switch members[key] {
        case .number(let text):
            guard let value = Self.exactInteger(text) else {
                errors.append(FieldError(field: key, message: "must be a whole number of minor units"))
                return nil
            }
            return value
        case nil:
            if required { errors.append(FieldError(field: key, message: "is required")) }
            return nil
        default:
            errors.append(FieldError(field: key, message: "must be a whole number of minor units"))
            return nil
        }
    }

    /// The integer a JSON number literal (already checked against JSON's grammar) equals
    /// exactly, computed on its digits, never through a Double; nil when it has a fraction or
    /// does not fit in 64 bits.
    static func exactInteger(_ literal: String) -> Int64? {
        if let plain = Int64(literal) { return plain }
        let negative = literal.hasPrefix("-")
        var mantissa = negative ? literal.dropFirst() : Substring(literal)
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            let written = Int(mantissa[mantissa.index(after: e)...])
            mantissa = mantissa[..<e]
            // Past ±400 a value other than zero is out of range or has a fraction.
            guard let written, abs(written) <= 400 else { return mantissa.allSatisfy({ $0 == "0" || $0 == "." }) ? 0 : nil }
            exponent = written
        }
        var digits = String(mantissa)
        if let point = mantissa.firstIndex(of: ".") {
            let fraction = mantissa[mantissa.index(after: point)...]
            digits = String(mantissa[..<point]) + fraction
            exponent -= fraction.count
        }
        digits = String(digits.drop(while: { $0 == "0" }))
        if digits.isEmpty { return 0 }
        while exponent < 0, digits.last == "0" {
            digits.removeLast()
            exponent += 1
        }
        guard exponent >= 0, digits.count + exponent <= 19 else { return nil }
        return Int64((negative ? "-" : "") + digits + String(repeating: "0", count: exponent))
    }
}

/// The JSON bodies the API accepts.
enum RequestBodies {
    static let detailFields: Set<String> = [
        "senderName", "senderBank", "senderAccount", "receiverName", "receiverBank", "receiverAccount",
        "amount", "currency", "reference",
    ]

    /// The details, checked by the domain's rules too; errors of both kinds come together,
    /// one per field.
    static func details(_ value: JSONValue, amountMax: Int64) -> Result<RemittanceDetails, DomainError> {
        var reader = FieldReader(value, allowed: detailFields)
        let details = RemittanceDetails(
            senderName: reader.string("senderName") ?? "", senderBank: reader.string("senderBank") ?? "",
            senderAccount: reader.string("senderAccount") ?? "", receiverName: reader.string("receiverName") ?? "",
            receiverBank: reader.string("receiverBank") ?? "", receiverAccount: reader.string("receiverAccount") ?? "",
            amount: reader.int64("amount") ?? 0, currency: reader.string("currency") ?? "",
            reference: reader.string("reference", required: false, nullable: true)
        )
        return merge(reader.errors, Validation.check(details, amountMax: amountMax))
    }

    static func changes(_ value: JSONValue, amountMax: Int64) -> Result<RemittanceChanges, DomainError> {
        var reader = FieldReader(value, allowed: detailFields)
        let changes = RemittanceChanges(
            senderName: reader.string("senderName", required: false), senderBank: reader.string("senderBank", required: false),
            senderAccount: reader.string("senderAccount", required: false),
            receiverName: reader.string("receiverName", required: false),
            receiverBank: reader.string("receiverBank", required: false),
            receiverAccount: reader.string("receiverAccount", required: false),
            amount: reader.int64("amount", required: false), currency: reader.string("currency", required: false),
            reference: reader.string("reference", required: false)
        )
        return merge(reader.errors, Validation.check(changes, amountMax: amountMax))
    }

    static func reason(_ value: JSONValue) -> Result<String, DomainError> {
        var reader = FieldReader(value, allowed: ["reason"])
        let reason = reader.string("reason") ?? ""
        return merge(reader.errors, Validation.checkReason(reason))
    }

    /// Shape errors first, then the domain's errors for fields the shape check did not flag.
    private static func merge<T>(_ shapeErrors: [FieldError], _ checked: Result<T, DomainError>) -> Result<T, DomainError> {
        guard !shapeErrors.isEmpty else { return checked }
        var errors = shapeErrors
        if case .failure(.invalid(let ruleErrors)) = checked {
            let flagged = Set(shapeErrors.map(\.field))
            errors += ruleErrors.filter { !flagged.contains($0.field) }
        }
        return .failure(.invalid(errors))
    }
}
