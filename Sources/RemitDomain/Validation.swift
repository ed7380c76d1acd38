/// One field that is wrong, and why: what a client needs to fix its request.
public struct FieldError: Codable, Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// The rules every remittance field follows. Each check adds to `errors`, so a request learns
/// about every bad field at once, not one per round trip.
///
/// Lengths are counted in Unicode code points, as JSON Schema's `maxLength` counts them, so the
/// API document (checked against these figures by `OpenAPITests`) says exactly what is taken.
public enum Validation {
    public static let nameLengthMax = 100
    public static let referenceLengthMax = 140
    public static let reasonLengthMax = 500

    /// Trims the details and checks every field; returns the trimmed details or every error.
    public static func check(_ details: RemittanceDetails, amountMax: Int64) -> Result<RemittanceDetails, DomainError> {
        var errors: [FieldError] = []
        var clean = details
        clean.senderName = text(details.senderName, "senderName", &errors)
        clean.senderBank = text(details.senderBank, "senderBank", &errors)
        clean.senderAccount = text(details.senderAccount, "senderAccount", &errors)
        clean.receiverName = text(details.receiverName, "receiverName", &errors)
        clean.receiverBank = text(details.receiverBank, "receiverBank", &errors)
        clean.receiverAccount = text(details.receiverAccount, "receiverAccount", &errors)
        amount(details.amount, amountMax: amountMax, &errors)
        currency(details.currency, &errors)
        clean.reference = reference(details.reference, &errors)
        return errors.isEmpty ? .success(clean) : .failure(.invalid(errors))
    }

    /// Checks only the fields an amendment sets.
    public static func check(_ changes: RemittanceChanges, amountMax: Int64) -> Result<RemittanceChanges, DomainError> {
        var errors: [FieldError] = []
        var clean = changes
        if changes.isEmpty {
            errors.append(FieldError(field: "", message: "an amendment must change at least one field"))
        }
        clean.senderName = changes.senderName.map { text($0, "senderName", &errors) }
        clean.senderBank = changes.senderBank.map { text($0, "senderBank", &errors) }
        clean.senderAccount = changes.senderAccount.map { text($0, "senderAccount", &errors) }
        clean.receiverName = changes.receiverName.map { text($0, "receiverName", &errors) }
        clean.receiverBank = changes.receiverBank.map { text($0, "receiverBank", &errors) }
        clean.receiverAccount = changes.receiverAccount.map { text($0, "receiverAccount", &errors) }
        if let value = changes.amount { amount(value, amountMax: amountMax, &errors) }
        if let value = changes.currency { currency(value, &errors) }
        // "" clears the reference; anything else is checked like a new one.
        if let value = changes.reference, !value.isEmpty { clean.reference = reference(value, &errors) }
        return errors.isEmpty ? .success(clean) : .failure(.invalid(errors))
    }

    public static func checkReason(_ reason: String) -> Result<String, DomainError> {
        var errors: [FieldError] = []
        let clean = text(reason, "reason", &errors, lengthMax: reasonLengthMax)
        return errors.isEmpty ? .success(clean) : .failure(.invalid(errors))
    }

    /// Lengths and the display rule apply to the text as sent, so that the document's
    /// `maxLength` and `pattern` say exactly what is taken; the stored value is trimmed.
    private static func text(_ value: String, _ field: String, _ errors: inout [FieldError], lengthMax: Int = nameLengthMax) -> String {
        let trimmed = value.trimmingWhitespace()
        if trimmed.isEmpty && !containsControlCharacter(value) {
            errors.append(FieldError(field: field, message: "must not be empty"))
        } else if value.unicodeScalars.count > lengthMax {
            errors.append(FieldError(field: field, message: "must be at most \(lengthMax) characters"))
        } else if let problem = DisplayText.problem(value) {
            errors.append(FieldError(field: field, message: problem))
        }
        return trimmed
    }

    /// Unicode's control characters (category Cc). Printable ASCII, the usual case, is answered
    /// from the bytes without looking up Unicode properties.
    public static func containsControlCharacter(_ text: String) -> Bool {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return false }
        return text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    private static func amount(_ value: Int64, amountMax: Int64, _ errors: inout [FieldError]) {
        if value <= 0 {
            errors.append(FieldError(field: "amount", message: "must be a positive whole number of minor units"))
        } else if value > amountMax {
            errors.append(FieldError(field: "amount", message: "must be at most \(amountMax) minor units"))
        }
    }

    private static func currency(_ value: String, _ errors: inout [FieldError]) {
        if !Currency.isKnown(value) {
            errors.append(FieldError(field: "currency", message: "must be an ISO 4217 code such as USD (upper case)"))
        }
    }

    /// A reference left out or sent empty is none; anything else follows the names' rules.
    private static func reference(_ value: String?, _ errors: inout [FieldError]) -> String? {
        guard let value, !value.isEmpty else { return nil }
        if value.unicodeScalars.count > referenceLengthMax {
            errors.append(FieldError(field: "reference", message: "must be at most \(referenceLengthMax) characters"))
        } else if let problem = DisplayText.problem(value) {
            errors.append(FieldError(field: "reference", message: problem))
        }
        return value.trimmingWhitespace()
    }
}

extension String {
    /// Without leading and trailing white space (Unicode's definition), without Foundation.
    func trimmingWhitespace() -> String {
        // The usual case: printable ASCII that starts and ends with something other than a space.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return self
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
