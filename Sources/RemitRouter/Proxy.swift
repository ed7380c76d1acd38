import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import RemitCore
import RemitHTTP

/// Forwards one request to a region and its answer back: same method, path, query, body and
/// end-to-end headers, plus a request id and the client's address.
struct Proxy: Sendable {
    static let forwardedForHeader = HTTPField.Name("X-Forwarded-For")!
    /// Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus those we rewrite.
    static let hopByHopHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]
    static let responseBodyBytesMax = 16 * 1024 * 1024

    let client: HTTPClient
    let timeoutMilliseconds: Int64

    func forward(_ request: Request, to baseURL: String, clientAddress: String?) async throws -> Response {
        let body = try await request.body.collect(upTo: Limits.httpRequestBodyBytesMax)
        var outgoing = HTTPClientRequest(url: baseURL + (request.head.path ?? "/"))
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHopHeaders.contains(field.name.canonicalName) {
            guard field.name != RequestID.header, field.name != Self.forwardedForHeader else { continue }
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.headers.replaceOrAdd(name: RequestID.header.rawName, value: RequestID.sanitize(request.headers[RequestID.header]))
        let forwardedFor = [request.headers[Self.forwardedForHeader], clientAddress].compactMap { $0 }.joined(separator: ", ")
        if !forwardedFor.isEmpty {
            outgoing.headers.replaceOrAdd(name: Self.forwardedForHeader.rawName, value: forwardedFor)
        }
        if body.readableBytes > 0 || request.method == .post || request.method == .put || request.method == .patch {
            outgoing.body = .bytes(body)
        }

        let answer = try await client.execute(outgoing, timeout: .milliseconds(timeoutMilliseconds))
        let answerBody = try await answer.body.collect(upTo: Self.responseBodyBytesMax)
        var headers = HTTPFields()
        for (name, value) in answer.headers where !Self.hopByHopHeaders.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: Int(answer.status.code)),
            headers: headers,
            body: .init(byteBuffer: answerBody)
        )
    }
}
