import RemitStrictJSON
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import RemitHTTP

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }

    /// A number's value, and whether its literal is an integer's.
    var number: (value: Double, isInteger: Bool)? {
        guard case .number(let literal) = self, let value = Double(literal) else { return nil }
        return (value, !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }))
    }
}

/// Holds every answer the HTTP test suite sees against the OpenAPI document: the operation
/// documents the status, the answer has one of the documented media types, and its body is
/// valid under the documented schema. A route or a body that drifts from the document fails
/// the test that met it.
struct OpenAPIConformance: Sendable {
    static let shared = OpenAPIConformance()
    let document: JSONValue
    /// Every pattern of the document, compiled once (the display rule's is tens of kilobytes)
    /// by ICU, which reads code points as JSON Schema's ECMA-262 dialect does. (Swift's own
    /// regex parser reads characters: it refuses ranges bounded by code points that are not
    /// characters of their own, such as U+09DC.) ICU's `$` also matches before a final line
    /// break, ECMA-262's only at the end: each `$` is read as `\z`.
    let patterns: [String: NSRegularExpression]

    init() {
        document = try! StrictJSON.parse(Array(OpenAPIDocument.json))
        var patterns: [String: NSRegularExpression] = [:]
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let pattern = members["pattern"]?.string {
                    var icu = "", escaped = false
                    for character in pattern {
                        icu += character == "$" && !escaped ? "\\z" : String(character)
                        escaped = character == "\\" && !escaped
                    }
                    patterns[pattern] = try! NSRegularExpression(pattern: icu)
                }
                members.values.forEach(collect)
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(document)
        self.patterns = patterns
    }

    /// Whether `text` matches `pattern` (one of the document's) somewhere, as JSON Schema means.
    func matches(_ text: String, _ pattern: String) -> Bool {
        patterns[pattern]!.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// What is wrong with one answer; empty when it conforms or its route is not in the document.
    func problems(method: String, path: String, status: Int, contentType: String?, body: Data) -> [String] {
        guard let template = template(for: path), let operation = document["paths"]?[template]?[method.lowercased()] else { return [] }
        let name = "\(method) \(template) → \(status)"
        guard let response = resolve(operation["responses"]?[String(status)] ?? operation["responses"]?["default"]) else {
            return ["\(name): the status is not documented"]
        }
        guard case .object(let content)? = response["content"] else {
            return body.isEmpty ? [] : ["\(name): documented without a body, answered \(body.count) bytes"]
        }
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let documented = content[mediaType] else {
            return ["\(name): answered \(mediaType.isEmpty ? "no content type" : mediaType), documented \(content.keys.sorted())"]
        }
        guard let schema = documented["schema"] else { return [] }
        guard let value = try? StrictJSON.parse(Array(body)) else { return ["\(name): the body is not JSON"] }
        return validate(value, schema, at: "body").map { "\(name): \($0)" }
    }

    /// The document's path template that `path` fills (`/api/v1/remittances/{id}` for `/api/v1/remittances/5f…`).
    func template(for path: String) -> String? {
        guard case .object(let paths)? = document["paths"] else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if paths[path] != nil { return path }
        return paths.keys.sorted().first { template in
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count
                && zip(parts, segments).allSatisfy { part, segment in part == segment || (part.hasPrefix("{") && !segment.isEmpty) }
        }
    }

    private func resolve(_ value: JSONValue?) -> JSONValue? {
        guard let reference = value?["$ref"]?.string else { return value }
        var target: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
        return resolve(target)
    }

    /// The ways `value` breaks `schema` (the subset of JSON Schema 2020-12 the document uses).
    func validate(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        guard let schema = resolve(schema) else { return ["\(path): unresolvable schema"] }
        var problems: [String] = []
        if let type = schema["type"] {
            let allowed: [String] = switch type {
            case .string(let one): [one]
            case .array(let many): many.compactMap(\.string)
            default: []
            }
            guard allowed.contains(where: { matches(value, type: $0) }) else { return ["\(path): \(describe(value)) is not \(allowed.joined(separator: " or "))"] }
        }
        if case .array(let choices)? = schema["enum"], !choices.contains(value) { problems.append("\(path): \(describe(value)) is not one of the enum") }
        switch value {
        case .object(let members): problems += validate(object: members, schema, at: path)
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += validate(item, itemSchema, at: "\(path)[\(index)]") }
            }
            if let least = schema["minItems"]?.number?.value, Double(items.count) < least { problems.append("\(path): fewer than \(Int(least)) items") }
        case .string(let text): problems += validate(string: text, schema, at: path)
        case .number: problems += validate(number: value.number!.value, schema, at: path)
        case .null, .bool: break
        }
        return problems
    }

    private func validate(object members: [String: JSONValue], _ schema: JSONValue, at path: String) -> [String] {
        var problems: [String] = []
        let properties: [String: JSONValue] = if case .object(let properties)? = schema["properties"] { properties } else { [:] }
        if case .array(let required)? = schema["required"] {
            for name in required.compactMap(\.string) where members[name] == nil { problems.append("\(path): \(name) is required") }
        }
        for (name, member) in members {
            if let propertySchema = properties[name] {
                problems += validate(member, propertySchema, at: "\(path).\(name)")
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) { problems.append("\(path): \(name) is not a documented property") }
                else if case .object = additional { problems += validate(member, additional, at: "\(path).\(name)") }
            }
        }
        return problems
    }

    private func validate(string text: String, _ schema: JSONValue, at path: String) -> [String] {
        var problems: [String] = []
        let length = Double(text.unicodeScalars.count)
        if let most = schema["maxLength"]?.number?.value, length > most { problems.append("\(path): longer than \(Int(most))") }
        if let least = schema["minLength"]?.number?.value, length < least { problems.append("\(path): shorter than \(Int(least))") }
        if let pattern = schema["pattern"]?.string, !matches(text, pattern) {
            problems.append("\(path): \(text.prefix(40)) does not match \(pattern)")
        }
        switch schema["format"]?.string {
        case "uuid" where UUID(uuidString: text) == nil: problems.append("\(path): \(text.prefix(40)) is not a UUID")
        case "date-time" where (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) == nil
            && (try? Date.ISO8601FormatStyle().parse(text)) == nil:
            problems.append("\(path): \(text.prefix(40)) is not a date-time")
        default: break
        }
        return problems
    }

    private func validate(number: Double, _ schema: JSONValue, at path: String) -> [String] {
        var problems: [String] = []
        if let minimum = schema["minimum"]?.number?.value, number < minimum { problems.append("\(path): \(number) is below \(minimum)") }
        if let maximum = schema["maximum"]?.number?.value, number > maximum { problems.append("\(path): \(number) is above \(maximum)") }
        return problems
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number): value.number?.isInteger ?? false
        default: false
        }
    }

    private func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let literal): literal
        case .string(let text): "\"\(text.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A test client that holds every answer against the OpenAPI document (`OpenAPIConformance`).
struct ConformingClient: TestClientProtocol {
    let inner: any TestClientProtocol

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
        let path = String(uri.prefix { $0 != "?" })
        for problem in OpenAPIConformance.shared.problems(
            method: method.rawValue, path: path, status: response.status.code, contentType: response.headers[.contentType],
            body: Data(buffer: response.body)
        ) {
            Issue.record("the answer differs from the OpenAPI document: \(problem)")
        }
        return response
    }

    var port: Int? { inner.port }
}
