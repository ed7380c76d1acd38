import Foundation
import Hummingbird
import RemitCore
import RemitDomain
import RemitStorage

/// The `/api/v1` routes of a region node.
func addLedgerRoutes(to router: Router<BasicRequestContext>, api: LedgerAPI, recorder: RouteRecorder?) {
    router.route(.post, "/api/v1/remittances", recorder) { request, _ in
        let (body, bytes) = try await RequestParsing.json(request)
        let key = try RequestParsing.idempotencyKey(request)
        let details = try RequestBodies.details(body, amountMax: api.amountMax).mapError(Problem.init).get()
        let metadata = RequestParsing.metadata(request, idempotencyKey: key, requestHash: key.map { _ in details.fingerprint })
        let outcome = try await api.submit(.create(id: UUID(), details: details, metadata: metadata), bytes: bytes)
        return try remittanceResponse(outcome.remittance, status: outcome.isRepeat ? .ok : .created, location: true)
    }

    router.route(.get, "/api/v1/remittances", recorder) { request, _ in
        let limit = try RequestParsing.integer(request, "limit", default: Int64(Limits.pageItemsDefault), range: 1...Int64(Limits.pageItemsMax))!
        let cursor = try RequestParsing.integer(request, "cursor", default: nil, range: 1...Int64.max)
        let status = try request.uri.queryParameters.get("status").map { text in
            guard let status = RemittanceStatus(rawValue: text) else {
                throw Problem.badRequest("status must be one of " + RemittanceStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return status
        }
        let query = request.uri.queryParameters.get("q")
        if let query, query.count > Validation.nameLengthMax {
            throw Problem.badRequest("q may be at most \(Validation.nameLengthMax) characters")
        }
        let page = try await api.reader.list(limit: Int(limit), cursor: cursor, status: status, query: query)
        return try jsonResponse(PageBody(items: page.items.map(RemittanceBody.init), nextCursor: page.nextCursor.map(String.init)))
    }

    router.route(.get, "/api/v1/remittances/{id}", recorder) { _, context in
        let id = try RequestParsing.id(context)
        // From the log itself, so a client reads its own write at once.
        guard let remittance = try await api.reader.remittanceFromLog(id) else { throw Problem(DomainError.notFound(id)) }
        return try remittanceResponse(remittance)
    }

    router.route(.get, "/api/v1/remittances/{id}/events", recorder) { _, context in
        let id = try RequestParsing.id(context)
        let events = try await api.reader.events(of: id)
        guard !events.isEmpty else { throw Problem(DomainError.notFound(id)) }
        return try jsonResponse(EventPageBody(items: events.map(EventBody.init), next: nil))
    }

    router.route(.patch, "/api/v1/remittances/{id}", recorder) { request, context in
        let id = try RequestParsing.id(context)
        let version = try RequestParsing.expectedVersion(request)
        let (body, bytes) = try await RequestParsing.json(request)
        let changes = try RequestBodies.changes(body, amountMax: api.amountMax).mapError(Problem.init).get()
        let outcome = try await api.submit(
            .amend(id: id, expectedVersion: version, changes: changes, metadata: RequestParsing.metadata(request)), bytes: bytes
        )
        return try remittanceResponse(outcome.remittance)
    }

    router.route(.post, "/api/v1/remittances/{id}/cancel", recorder) { request, context in
        let id = try RequestParsing.id(context)
        let version = try RequestParsing.expectedVersion(request)
        let (body, bytes) = try await RequestParsing.json(request)
        let reason = try RequestBodies.reason(body).mapError(Problem.init).get()
        let outcome = try await api.submit(
            .cancel(id: id, expectedVersion: version, reason: reason, metadata: RequestParsing.metadata(request)), bytes: bytes
        )
        return try remittanceResponse(outcome.remittance)
    }

    router.route(.get, "/api/v1/dashboard", recorder) { _, _ in
        try jsonResponse(try await api.reader.dashboard())
    }

    router.route(.get, "/api/v1/ledger/head", recorder) { _, _ in
        guard let state = try await api.regionStore.current() else {
            throw Problem(slug: "not-ready", title: "Not ready", status: .serviceUnavailable, detail: "the region has not been claimed yet")
        }
        return try jsonResponse(HeadBody(
            region: state.region.rawValue, role: state.role.rawValue, epoch: state.epoch,
            position: state.headPosition, hash: state.headHash.hex
        ))
    }

    router.route(.get, "/api/v1/ledger/events", recorder) { request, _ in
        let after = try RequestParsing.integer(request, "after", default: 0, range: 0...Int64.max)!
        let limit = try RequestParsing.integer(request, "limit", default: Int64(Limits.pageItemsDefault), range: 1...Int64(Limits.pageItemsMax))!
        let events = try await api.reader.events(after: after, limit: Int(limit))
        return try jsonResponse(EventPageBody(items: events.map(EventBody.init), next: events.count == Int(limit) ? events.last?.position : nil))
    }

    router.route(.get, "/api/v1/openapi.json", recorder) { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
}
