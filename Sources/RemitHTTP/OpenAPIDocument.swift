import Foundation
import RemitDomain

/// The OpenAPI 3.1 description of a region node's HTTP interface, `openapi.json` beside this
/// file (a resource of this module), served at `/api/v1/openapi.json`. Tests hold it against
/// the routes the router really has and against every answer the test suite sees.
public enum OpenAPIDocument {
    /// The document's bytes, read once, with each field marked `"x-remit-rule"` given the
    /// pattern of the domain rule it names (`DisplayText`): generated from the predicates the
    /// server validates with, never copied by hand. The file ships in the module's resource
    /// bundle; without it the build is broken, so its absence is a programming error.
    public static let json: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            preconditionFailure("openapi.json is missing from RemitHTTP's resources")
        }
        var text = String(decoding: data, as: UTF8.self)
        for (rule, pattern) in rules {
            let marker = "\"x-remit-rule\": \"\(rule)\""
            precondition(text.contains(marker), "openapi.json uses the rule \(rule)")
            text = text.replacingOccurrences(of: marker, with: marker + ",\n\"pattern\": \"" + jsonEscaped(pattern) + "\"")
        }
        return Data(text.utf8)
    }()

    /// Each rule a field of the document may name, and its pattern.
    static let rules = [("display-text", DisplayText.pattern), ("display-text-or-empty", DisplayText.patternOrEmpty)]

    /// A pattern as a JSON string's contents: only its backslashes need escaping (it holds no
    /// quote and no control character).
    private static func jsonEscaped(_ pattern: String) -> String {
        precondition(!pattern.unicodeScalars.contains { $0 == "\"" || $0.value < 0x20 }, "a pattern without quotes or controls")
        return pattern.replacingOccurrences(of: "\\", with: "\\\\")
    }
}
