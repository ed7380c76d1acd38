import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import RemitWire
import RemitCore

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

    /// A request read in full, so it can be sent again to another region.
    struct Prepared: Sendable {
        let method: HTTPMethod
        let pathAndQuery: String
        let headers: HTTPHeaders
        let body: ByteBuffer?

        var hasIdempotencyKey: Bool { headers.contains(name: "Idempotency-Key") }
    }

    /// A region's answer, read in full.
    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer

        var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }

        /// The region refused a write because it is not the writer: nothing was written, so the
        /// request may go to the writer instead.
        var isNotWriter: Bool {
            status == .conflict && String(buffer: body).contains("\"urn:remit:problem:not-writer\"")
        }

        /// The region could not reach its database (its PostgreSQL may be gone: a forced
        /// failover's first moments). Only a request with an Idempotency-Key may then go to
        /// another region: should the write have committed after all, the key makes the second
        /// one a repeat of it, and a forced failover's reconcile recognises it.
        var isStorageUnavailable: Bool {
            status == .serviceUnavailable && String(buffer: body).contains("\"urn:remit:problem:storage-unavailable\"")
        }
    }

    func prepare(_ request: Request, clientAddress: String?) async throws -> Prepared {
        let body = try await request.body.collect(upTo: Limits.httpRequestBodyBytesMax)
        var headers = HTTPHeaders()
        for field in request.headers where !Self.hopByHopHeaders.contains(field.name.canonicalName) {
            guard field.name != RequestID.header, field.name != Self.forwardedForHeader else { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.replaceOrAdd(name: RequestID.header.rawName, value: RequestID.sanitize(request.headers[RequestID.header]))
        let forwardedFor = [request.headers[Self.forwardedForHeader], clientAddress].compactMap { $0 }.joined(separator: ", ")
        if !forwardedFor.isEmpty {
            headers.replaceOrAdd(name: Self.forwardedForHeader.rawName, value: forwardedFor)
        }
        let sendsBody = body.readableBytes > 0 || request.method == .post || request.method == .put || request.method == .patch
        return Prepared(
            method: HTTPMethod(rawValue: request.method.rawValue), pathAndQuery: request.head.path ?? "/", headers: headers,
            body: sendsBody ? body : nil
        )
    }

    func send(_ prepared: Prepared, to baseURL: String) async throws -> Answer {
        var outgoing = HTTPClientRequest(url: baseURL + prepared.pathAndQuery)
        outgoing.method = prepared.method
        outgoing.headers = prepared.headers
        if let body = prepared.body { outgoing.body = .bytes(body) }
        let answer = try await client.execute(outgoing, timeout: .milliseconds(timeoutMilliseconds))
        let answerBody = try await answer.body.collect(upTo: Self.responseBodyBytesMax)
        var headers = HTTPFields()
        for (name, value) in answer.headers where !Self.hopByHopHeaders.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        return Answer(status: HTTPResponse.Status(code: Int(answer.status.code)), headers: headers, body: answerBody)
    }
}
