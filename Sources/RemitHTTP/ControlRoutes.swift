import Hummingbird
import RemitWire
import RemitCore
import RemitDomain
import RemitFailover
import RemitReplication
import RemitStorage

/// The router's side of the write lease: `POST /control/v1/lease?epoch=E&milliseconds=L`
/// extends this region's lease by the database's clock if it is still the writer at E.
/// Signed with the deployment key by the router (region header "router"); not proxied, and
/// user tokens are not accepted here.
func addControlRoutes(
    to router: Router<NodeRequestContext>, configuration: ReplicationConfiguration, control: RegionControl, identity: IdentityStore
) {
    router.on("/control/v1/lease", method: .post) { request, _ in
        guard let key = configuration.key else { throw Problem.notFound("this node has no deployment key") }
        try key.authenticate(request, known: [LeaseRenewal.routerPrincipal])
        guard let epoch = try RequestParsing.integer(request, "epoch", default: nil, range: 1...Int64.max),
            let milliseconds = try RequestParsing.integer(request, "milliseconds", default: nil, range: 1...Limits.writeLeaseMillisecondsMax)
        else { throw Problem.badRequest("epoch and milliseconds are required") }
        guard try await control.renewLease(epoch: epoch, milliseconds: milliseconds) else {
            throw Problem(slug: "not-writer", title: "Not the writer", status: .conflict, detail: "this region is not the writer at epoch \(epoch)")
        }
        return Response(status: .noContent)
    }

    // The router's alarm changes, recorded in the audit trail: in the log at the writer, else
    // in this region's outbox, from where the writer logs them.
    router.on(RouterPath(AlarmAudit.path), method: .post) { request, _ in
        guard let key = configuration.key else { throw Problem.notFound("this node has no deployment key") }
        try key.authenticate(request, known: [LeaseRenewal.routerPrincipal])
        let bytes = Array(buffer: try await request.body.collect(upTo: Limits.alarmChangesBodyBytesMax))
        let body = try AlarmAudit.body(request, bytes: bytes)
        try await identity.record(body.changes.map { change in
            AuditEntry(
                entryID: change.entry, region: identity.region, actor: LeaseRenewal.routerPrincipal, source: LeaseRenewal.routerPrincipal,
                action: change.state == "firing" ? "alarm.firing" : "alarm.resolved", target: change.alarm, outcome: "succeeded",
                detail: change.detail, atMicroseconds: change.atMicroseconds
            )
        })
        return Response(status: .noContent)
    }
}
