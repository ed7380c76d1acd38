import Foundation
import Hummingbird
import RemitAuth
import RemitCore
import RemitDomain
import RemitStorage
import RemitWire

/// The table's query parameters of `GET /api/v1/remittances`: `filter` (repeatable,
/// `field:value`, `field!:value`, `field=value`, `field!=value`), `join` (`and`, `or`), `sort`
/// (a field) and `order` (`asc`, `desc`), `count` (`true`: the number of matches, capped), and
/// the cursor, which names the last row's sort key and position.
enum TableQuery {
    static func filter(_ request: Request) throws -> RemittanceFilter {
        let parameters = request.uri.queryParameters
        let texts = parameters.getAll("filter")
        guard texts.count <= RemittanceFilter.conditionsMax else {
            throw Problem.badRequest("at most \(RemittanceFilter.conditionsMax) filter conditions")
        }
        let conditions = try texts.map { text in
            try RemittanceFilter.Condition.parse(String(text)).mapError { Problem.badRequest("filter \($0.description)") }.get()
        }
        let join = parameters.get("join") ?? "and"
        guard join == "and" || join == "or" else { throw Problem.badRequest("join is and or or") }
        let sortText = parameters.get("sort") ?? RemittanceFilter.Field.createdAt.rawValue
        guard let sort = RemittanceFilter.Field(rawValue: sortText) else {
            throw Problem.badRequest("sort names a field: " + RemittanceFilter.Field.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let order = parameters.get("order") ?? "desc"
        guard order == "asc" || order == "desc" else { throw Problem.badRequest("order is asc or desc") }
        return RemittanceFilter(conditions: conditions, matchAll: join == "and", sort: sort, descending: order == "desc")
    }

    static func wantsCount(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters.get("count") {
        case nil, "false": return false
        case "true": return true
        default: throw Problem.badRequest("count is true or false")
        }
    }

    /// Sorted by creation, a cursor is the position itself (as before sorting existed);
    /// otherwise `k1.` and the base64url JSON `[key, position]`.
    static func encode(_ cursor: RemittanceCursor, sort: RemittanceFilter.Field) -> String {
        if sort == .createdAt { return String(cursor.position) }
        let key: String
        switch cursor.value {
        case .number(let number): key = String(number)
        case .text(let text):
            var bytes: [UInt8] = []
            JSONObjectWriter.appendString(text, to: &bytes)
            key = String(decoding: bytes, as: UTF8.self)
        }
        return "k1." + Base64URL.encode(Array("[\(key),\(cursor.position)]".utf8))
    }

    static func decode(_ text: String?, sort: RemittanceFilter.Field) throws -> RemittanceCursor? {
        guard let text else { return nil }
        let refused = Problem.badRequest("cursor is not a nextCursor of this sort")
        if sort == .createdAt {
            guard let position = Int64(text), position > 0 else { throw refused }
            return RemittanceCursor(value: .number(position), position: position)
        }
        guard text.hasPrefix("k1."), text.utf8.count <= 1_024 else { throw refused }
        guard let bytes = Base64URL.decode(String(text.dropFirst(3))),
            let pair = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any], pair.count == 2,
            let position = (pair[1] as? NSNumber)?.int64Value
        else { throw refused }
        if sort.isNumber {
            guard let number = (pair[0] as? NSNumber)?.int64Value else { throw refused }
            return RemittanceCursor(value: .number(number), position: position)
        }
        guard let key = pair[0] as? String, !Validation.containsControlCharacter(key) else { throw refused }
        return RemittanceCursor(value: .text(key), position: position)
    }
}
