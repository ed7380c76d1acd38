import Foundation

/// The OpenAPI 3.1 description of a region node's HTTP interface, `openapi.json` beside this
/// file (a resource of this module), served at `/api/v1/openapi.json`. Tests hold it against
/// the routes the router really has and against every answer the test suite sees.
public enum OpenAPIDocument {
    /// The document's bytes, read once. The file ships in the module's resource bundle; without
    /// it the build is broken, so its absence is a programming error, not a runtime condition.
    public static let json: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            preconditionFailure("openapi.json is missing from RemitHTTP's resources")
        }
        return data
    }()
}
