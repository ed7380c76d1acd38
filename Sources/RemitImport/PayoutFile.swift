import Crypto
import Foundation
import RemitCore
import RemitDomain

/// A payout file: CSV (RFC 4180: comma-separated, fields with commas, quotes or line breaks in
/// double quotes, a quote inside one doubled), a header naming the columns — the fields of a
/// remittance create (`senderName` … `currency`, `reference` optional) and, optionally,
/// `idempotencyKey` — then one remittance per line. Pure: read and checked whole before
/// anything is sent, so a bad line stops the import before it starts.
public struct PayoutFile: Sendable {
    /// One remittance of the file, with the line it starts on and the key it is sent with.
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var idempotencyKey: String
        public var details: RemittanceDetails
    }

    /// A line that can not be sent, and why.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { line == 0 ? message : "line \(line): \(message)" }
    }

    public static let requiredColumns = ["senderName", "senderBank", "senderAccount", "receiverName", "receiverBank", "receiverAccount", "amount", "currency"]
    public static let optionalColumns = ["reference", "idempotencyKey"]

    /// Every problem of a file that can not be sent.
    public struct Problems: Error, Sendable {
        public var all: [Problem]
    }

    public private(set) var lines: [Line] = []

    /// Reads and checks the whole file; every problem found, or the lines. A line without an
    /// `idempotencyKey` gets one made of its line number and its content, so that running the
    /// same file again sends every line with the key it had: none is created twice.
    public static func read(_ bytes: [UInt8], amountMax: Int64 = Limits.amountMinorUnitsMax) -> Result<PayoutFile, Problems> {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Problems(all: [Problem(line: 0, message: "the file is not UTF-8 text")]))
        }
        let records: [(line: Int, fields: [String])]
        switch CSVRecords.parse(text) {
        case .success(let parsed): records = parsed
        case .failure(let problem): return .failure(Problems(all: [problem]))
        }
        guard let header = records.first else { return .failure(Problems(all: [Problem(line: 0, message: "the file is empty: it needs a header line")])) }
        var problems: [Problem] = []
        let known = Set(requiredColumns + optionalColumns)
        for name in header.fields where !known.contains(name) {
            problems.append(Problem(line: header.line, message: "unknown column \"\(name)\" (columns: \((requiredColumns + optionalColumns).joined(separator: ", ")))"))
        }
        for name in requiredColumns where !header.fields.contains(name) {
            problems.append(Problem(line: header.line, message: "the header lacks the column \"\(name)\""))
        }
        if Set(header.fields).count != header.fields.count {
            problems.append(Problem(line: header.line, message: "a column is named twice"))
        }
        guard problems.isEmpty else { return .failure(Problems(all: problems)) }
        let column = Dictionary(uniqueKeysWithValues: header.fields.enumerated().map { ($1, $0) })
        var file = PayoutFile()
        for record in records.dropFirst() {
            guard record.fields.count == header.fields.count else {
                problems.append(Problem(line: record.line, message: "\(record.fields.count) fields, the header names \(header.fields.count)"))
                continue
            }
            func field(_ name: String) -> String? { column[name].map { record.fields[$0] } }
            guard let amount = Int64(field("amount")!) else {
                problems.append(Problem(line: record.line, message: "amount: must be a whole number of minor units, not \"\(field("amount")!)\""))
                continue
            }
            let details = RemittanceDetails(
                senderName: field("senderName")!, senderBank: field("senderBank")!, senderAccount: field("senderAccount")!,
                receiverName: field("receiverName")!, receiverBank: field("receiverBank")!, receiverAccount: field("receiverAccount")!,
                amount: amount, currency: field("currency")!, reference: field("reference").flatMap { $0.isEmpty ? nil : $0 }
            )
            if case .failure(.invalid(let errors)) = Validation.check(details, amountMax: amountMax) {
                problems += errors.map { Problem(line: record.line, message: "\($0.field): \($0.message)") }
                continue
            }
            let key = field("idempotencyKey") ?? Self.key(line: record.line, fields: record.fields)
            guard IdempotencyKeyRule.holds(for: key) else {
                problems.append(Problem(line: record.line, message: "idempotencyKey: must be \(IdempotencyKeyRule.description)"))
                continue
            }
            file.lines.append(Line(number: record.line, idempotencyKey: key, details: details))
        }
        guard !file.lines.isEmpty || !problems.isEmpty else {
            return .failure(Problems(all: [Problem(line: 0, message: "the file holds a header and no remittance")]))
        }
        return problems.isEmpty ? .success(file) : .failure(Problems(all: problems))
    }

    /// `import-` and 32 hex digits of SHA-256 over the line's number and fields.
    static func key(line: Int, fields: [String]) -> String {
        let digest = SHA256.hash(data: Array(([String(line)] + fields).joined(separator: "\u{1F}").utf8))
        return "import-" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}

/// RFC 4180 records, each with the line it starts on. A trailing line break ends the last
/// record; empty lines between records are skipped.
enum CSVRecords {
    static func parse(_ text: String) -> Result<[(line: Int, fields: [String])], PayoutFile.Problem> {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = [], field = "", quoted = false, afterQuote = false, fieldStarted = false
        var line = 1, recordLine = 1
        func endRecord() {
            if fieldStarted || !fields.isEmpty { records.append((recordLine, fields + [field])) }
            (fields, field, fieldStarted, afterQuote) = ([], "", false, false)
        }
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? scalars.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    let next = scalars.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        (quoted, afterQuote) = (false, true)
                        pending = next
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(field)
                (field, afterQuote, fieldStarted) = ("", false, true)
            case "\r":
                continue
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            case "\"" where field.isEmpty && !afterQuote:
                (quoted, fieldStarted) = (true, true)
            default:
                guard !afterQuote else {
                    return .failure(PayoutFile.Problem(line: line, message: "text after a closing quote; a quote inside a quoted field is written twice"))
                }
                if scalar == "\"" {
                    return .failure(PayoutFile.Problem(line: line, message: "a quote inside an unquoted field; quote the field and write the quote twice"))
                }
                field.unicodeScalars.append(scalar)
                fieldStarted = true
            }
        }
        if quoted { return .failure(PayoutFile.Problem(line: recordLine, message: "a quoted field is not closed")) }
        endRecord()
        return .success(records)
    }
}
