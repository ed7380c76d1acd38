import Foundation
import RemitDomain
import RemitPostgres

/// The SQL of a page of the remittance table: the filter's conditions (and the older `status`
/// and `query` parameters, which always all hold), sorted on the filter's column with the
/// creation position breaking ties, after the cursor. Pure; `LedgerReader.list` runs it.
struct TableSQL {
    /// The page, as PostgreSQL may plan it: walking the sort index from the cursor.
    let walk: String
    /// The same page for a plan without index scans (see `LedgerReader.tableQuery`).
    let sort: String
    let parameters: [any PostgresEncodable]
    /// The rows the filter matches, cursor aside.
    private let matching: String
    /// The parameters `matching` takes: the first ones, before the cursor's and the limit.
    let matchingParameters: [any PostgresEncodable]

    /// - Parameter currencies: the currencies the table holds, when a condition on the currency
    ///   other than `=` needs them.
    init(
        _ filter: RemittanceFilter, status: RemittanceStatus?, query: String?, limit: Int, after cursor: RemittanceCursor?,
        currencies: [String]
    ) {
        var parameters: [any PostgresEncodable] = []
        func bind(_ value: any PostgresEncodable) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        var required: [String] = []
        if let status { required.append("status = \(bind(status.rawValue))") }
        if let query {
            let pattern = bind(Self.containsPattern(query))
            // The reference as the table's column, so one trigram index serves both.
            required.append("(sender_name ILIKE \(pattern) OR receiver_name ILIKE \(pattern) OR sender_bank ILIKE \(pattern) OR receiver_bank ILIKE \(pattern) OR \(Self.column(.reference)) ILIKE \(pattern))")
        }
        let conditions = filter.conditions.map { condition -> String in
            let column = Self.column(condition.field)
            // A status or a currency: the values that meet the condition, which the sort index
            // finds (a fragment of three letters has no trigram to look up, a "not" none at all).
            if condition.field == .status || (condition.field == .currency && condition.op != .equals) {
                let values = condition.field == .status ? RemittanceStatus.allCases.map(\.rawValue) : currencies
                return "\(column) = ANY(\(bind(PostgresArray(values.filter(condition.holds)))))"
            }
            switch condition.op {
            case .contains: return "\(column) ILIKE \(bind(Self.containsPattern(condition.value)))"
            case .notContains: return "\(column) NOT ILIKE \(bind(Self.containsPattern(condition.value)))"
            case .equals: return "\(column) = \(condition.field.isNumber ? bind(Int64(condition.value)!) : bind(condition.value))"
            case .notEquals: return "\(column) <> \(condition.field.isNumber ? bind(Int64(condition.value)!) : bind(condition.value))"
            }
        }
        if !conditions.isEmpty { required.append("(" + conditions.joined(separator: filter.matchAll ? " AND " : " OR ") + ")") }
        matching = required.isEmpty ? "true" : required.joined(separator: " AND ")
        matchingParameters = parameters
        let sortColumn = Self.column(filter.sort), direction = filter.descending ? "DESC" : "ASC"
        // After the cursor: as a row comparison, where the walk along the sort index starts; for
        // the query asked again without index scans, negated, so that PostgreSQL (which
        // misjudges how many rows a row comparison keeps) finds the matches through the
        // conditions' indexes instead of through the part of the sort index after the cursor.
        var walkPaged = matching, sortPaged = matching
        if let cursor {
            let value: any PostgresEncodable = switch cursor.value {
            case .number(let number): number
            case .text(let text): text
            }
            let key = "(\(sortColumn), created_position)", after = "(\(bind(value)), \(bind(cursor.position)))"
            walkPaged += " AND \(key) \(filter.descending ? "<" : ">") \(after)"
            sortPaged += " AND NOT (\(key) \(filter.descending ? ">=" : "<=") \(after))"
        }
        let ordered = "ORDER BY \(sortColumn) \(direction), created_position \(direction) LIMIT \(bind(Int64(limit + 1)))"
        walk = "SELECT \(Row.columns), \(sortColumn) FROM remittances WHERE \(walkPaged) \(ordered)"
        sort = "SELECT \(Row.columns), \(sortColumn) FROM remittances WHERE \(sortPaged) \(ordered)"
        self.parameters = parameters
    }

    /// How many rows match, counted up to one more than `bound` (one more means "more").
    func count(upTo bound: Int) -> String {
        "SELECT count(*) FROM (SELECT 1 FROM remittances WHERE \(matching) LIMIT \(bound + 1)) AS matches"
    }

    /// The SQL for a field: a nullable reference sorts and matches as empty; creation sorts by
    /// its position in the log (the order the ledger decided), so it needs no second key.
    static func column(_ field: RemittanceFilter.Field) -> String {
        switch field {
        case .id: "id::text"
        case .status: "status"
        case .senderName: "sender_name"
        case .senderBank: "sender_bank"
        case .senderAccount: "sender_account"
        case .receiverName: "receiver_name"
        case .receiverBank: "receiver_bank"
        case .receiverAccount: "receiver_account"
        case .amount: "amount"
        case .currency: "currency"
        case .reference: "coalesce(reference, '')"
        case .createdAt: "created_position"
        case .updatedAt: "updated_at_us"
        }
    }

    /// A case-insensitive substring pattern; LIKE's own wildcards in the text are escaped.
    static func containsPattern(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}
