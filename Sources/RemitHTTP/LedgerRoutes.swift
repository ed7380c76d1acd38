import Foundation
import Hummingbird
import RemitWire
import RemitCore
import RemitDomain
import RemitStorage

/// Who may read remittances and the dashboard.
let remittanceReaders = Access.only(.clerk, .auditor, .operator)

/// The `/api/v1/remittances` routes: create, list, read, history, amend, cancel.
func addRemittanceRoutes(to routes: NodeRoutes, api: LedgerAPI) {
    routes.add(.post, "/api/v1/remittances", .only(.clerk)) { request, context in
        let (body, bytes) = try await RequestParsing.json(request, bytesMax: Limits.remittanceBodyBytesMax)
        let key = try RequestParsing.idempotencyKey(request)
        let details = try RequestBodies.details(body, amountMax: api.amountMax).mapError(Problem.init).get()
        let metadata = RequestParsing.metadata(request, context, idempotencyKey: key, requestHash: key.map { _ in details.fingerprint })
        let outcome = try await api.submit(.create(id: RandomID.uuid(), details: details, metadata: metadata), bytes: bytes)
        return try remittanceResponse(outcome.remittance, status: outcome.isRepeat ? .ok : .created, location: true)
    }

    routes.add(.get, "/api/v1/remittances", remittanceReaders) { request, _ in
        let limit = try RequestParsing.integer(request, "limit", default: Int64(Limits.pageItemsDefault), range: 1...Int64(Limits.pageItemsMax))!
        let filter = try TableQuery.filter(request)
        let cursor = try TableQuery.decode(request.uri.queryParameters.get("cursor").map { String($0) }, sort: filter.sort)
        let status = try request.uri.queryParameters.get("status").map { text in
            guard let status = RemittanceStatus(rawValue: text) else {
                throw Problem.badRequest("status must be one of " + RemittanceStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return status
        }
        let query = request.uri.queryParameters.get("q").map { String($0) }
        if let query, query.unicodeScalars.count > Validation.nameLengthMax {
            throw Problem.badRequest("q may be at most \(Validation.nameLengthMax) characters")
        }
        // No stored field holds one, and PostgreSQL refuses NUL in text outright.
        if let query, Validation.containsControlCharacter(query) {
            throw Problem.badRequest("q may not contain control characters")
        }
        let page = try await api.reader.list(
            filter, status: status, query: query, limit: Int(limit), after: cursor,
            countUpTo: try TableQuery.wantsCount(request) ? Limits.tableCountMax : nil
        )
        return try jsonResponse(PageBody(
            items: page.items.map(RemittanceBody.init), nextCursor: page.nextCursor.map { TableQuery.encode($0, sort: filter.sort) },
            total: page.total.map { min($0, Int64(Limits.tableCountMax)) }, totalCapped: page.total.map { $0 > Int64(Limits.tableCountMax) }
        ))
    }

    routes.add(.get, "/api/v1/remittances/{id}", remittanceReaders) { request, context in
        let id = try RequestParsing.id(context)
        if let asOf = try await asOfParameter(request, api) {
            let text = request.uri.queryParameters.get("asOf") ?? ""
            guard let remittance = try await api.reader.remittance(id, asOf: asOf) else {
                throw Problem(slug: "not-found", title: "Not found", status: .notFound, detail: "no remittance \(id.uuidString.lowercased()) as of \(text)")
            }
            return try remittanceResponse(remittance)
        }
        // From the log itself, so a client reads its own write at once.
        guard let remittance = try await api.reader.remittanceFromLog(id) else { throw Problem(DomainError.notFound(id)) }
        return try remittanceResponse(remittance)
    }

    routes.add(.get, "/api/v1/remittances/{id}/events", remittanceReaders) { _, context in
        let id = try RequestParsing.id(context)
        let events = try await api.reader.events(of: id)
        guard !events.isEmpty else { throw Problem(DomainError.notFound(id)) }
        return try jsonResponse(EventPageBody(items: events.map(EventBody.init), next: nil))
    }

    routes.add(.patch, "/api/v1/remittances/{id}", .only(.clerk)) { request, context in
        let id = try RequestParsing.id(context)
        let version = try RequestParsing.expectedVersion(request)
        let (body, bytes) = try await RequestParsing.json(request, bytesMax: Limits.remittanceBodyBytesMax)
        let changes = try RequestBodies.changes(body, amountMax: api.amountMax).mapError(Problem.init).get()
        let outcome = try await api.submit(
            .amend(id: id, expectedVersion: version, changes: changes, metadata: RequestParsing.metadata(request, context)), bytes: bytes
        )
        return try remittanceResponse(outcome.remittance)
    }

    routes.add(.post, "/api/v1/remittances/{id}/cancel", .only(.clerk)) { request, context in
        let id = try RequestParsing.id(context)
        let version = try RequestParsing.expectedVersion(request)
        let (body, bytes) = try await RequestParsing.json(request, bytesMax: Limits.remittanceBodyBytesMax)
        let reason = try RequestBodies.reason(body).mapError(Problem.init).get()
        let outcome = try await api.submit(
            .cancel(id: id, expectedVersion: version, reason: reason, metadata: RequestParsing.metadata(request, context)), bytes: bytes
        )
        return try remittanceResponse(outcome.remittance)
    }

}

/// The `asOf` query parameter, if given: 400 when it is neither a position nor an RFC 3339
/// time, 409 `not-reached` for a position past this region's log.
func asOfParameter(_ request: Request, _ api: LedgerAPI) async throws -> AsOf? {
    guard let text = request.uri.queryParameters.get("asOf") else { return nil }
    guard let asOf = AsOf(String(text)) else {
        throw Problem.badRequest("asOf must be a log position (1 to 18 digits) or an RFC 3339 date-time such as 2026-12-03T14:00:00Z")
    }
    if case .position(let position) = asOf {
        let head = try await api.regionStore.headPosition()
        guard position <= head else {
            throw Problem(slug: "not-reached", title: "Position not reached", status: .conflict,
                          detail: "this region's log ends at position \(head), before \(position)")
        }
    }
    return asOf
}

/// The routes over the whole ledger: the dashboard, the head, the raw log, the API document.
func addLedgerRoutes(to routes: NodeRoutes, api: LedgerAPI) {
    routes.add(.get, "/api/v1/dashboard", remittanceReaders) { request, _ in
        // As of a point: folded from the log itself, not read from the views.
        if let asOf = try await asOfParameter(request, api) { return try jsonResponse(try await LedgerReplay.dashboard(api.reader.pool, asOf: asOf)) }
        return try jsonResponse(try await api.reader.dashboard())
    }

    routes.add(.get, "/api/v1/ledger/head", .only(.auditor, .operator)) { _, _ in
        guard let state = try await api.regionStore.current() else {
            throw Problem(slug: "not-ready", title: "Not ready", status: .serviceUnavailable, detail: "the region has not been claimed yet")
        }
        return try jsonResponse(HeadBody(
            region: state.region.rawValue, role: state.role.rawValue, epoch: state.epoch,
            position: state.headPosition, hash: state.headHash.hex
        ))
    }

    routes.add(.get, "/api/v1/ledger/events", .only(.auditor)) { request, _ in
        let after = try RequestParsing.integer(request, "after", default: 0, range: 0...Int64.max)!
        let limit = try RequestParsing.integer(request, "limit", default: Int64(Limits.pageItemsDefault), range: 1...Int64(Limits.pageItemsMax))!
        let events = try await api.reader.events(after: after, limit: Int(limit))
        return try jsonResponse(EventPageBody(items: events.map(EventBody.init), next: events.count == Int(limit) ? events.last?.position : nil))
    }

    routes.add(.get, "/api/v1/ledger/checkpoints", .only(.auditor, .operator)) { request, _ in
        let after = try RequestParsing.integer(request, "after", default: 0, range: 0...Int64.max)!
        let limit = try RequestParsing.integer(request, "limit", default: Int64(Limits.pageItemsDefault), range: 1...Int64(Limits.pageItemsMax))!
        let page = try await CheckpointLog.list(api.reader.pool, after: after, limit: Int(limit))
        return try jsonResponse(CheckpointPageBody(items: page.map(CheckpointBody.init), next: page.count == Int(limit) ? page.last?.eventPosition : nil))
    }

    routes.add(.get, "/api/v1/openapi.json", .anyone) { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
    }
}
