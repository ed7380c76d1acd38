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
    static let requestIDHeader = HTTPField.Name("X-Request-Id")!
    static let forwardedForHeader = HTTPField.Name("X-Forwarded-For")!
    /// The longest request id we pass on as the client sent it; anything else gets a fresh one.
    static let requestIDLengthMax = 128
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
            guard field.name != Self.requestIDHeader, field.name != Self.forwardedForHeader else { continue }
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.headers.replaceOrAdd(name: Self.requestIDHeader.rawName, value: Self.requestID(request.headers[Self.requestIDHeader]))
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

    /// The client's request id when it is short and printable, else a new UUID: ids end up in
    /// log lines, so an arbitrary header value must not.
    static func requestID(_ offered: String?) -> String {
        if let offered, !offered.isEmpty, offered.utf8.count <= requestIDLengthMax,
            offered.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return offered
        }
        return UUID().uuidString.lowercased()
    }
}
