import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// Signs a user in through the API, as any client does, for an access token.
public enum APISignIn {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func token(client: HTTPClient, url: String, username: String, password: String) async throws -> String {
        struct Credentials: Encodable { let username: String, password: String }
        struct Tokens: Decodable { let accessToken: String }
        var request = HTTPClientRequest(url: url + "/api/v1/auth/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(Credentials(username: username, password: password))))
        // A node that has just started may not have loaded its signing key yet (503): retry briefly.
        for _ in 0..<50 {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 64 * 1024)
            if response.status == .ok { return try JSONDecoder().decode(Tokens.self, from: Data(buffer: body)).accessToken }
            guard response.status == .serviceUnavailable else {
                throw Failure(description: "signing in as \(username) at \(url) failed: \(response.status.code) \(String(buffer: body))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "\(url) did not become ready to sign in")
    }
}
