import Hummingbird
import RemitPostgres
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
                entryID: change.entry, region: identity.region, actor: LeaseRenewal.routerPrincipal, source: body.source,
                action: change.state == "firing" ? "alarm.firing" : "alarm.resolved", target: change.alarm, outcome: "succeeded",
                detail: change.detail, atMicroseconds: change.atMicroseconds
            )
        })
        return Response(status: .noContent)
    }
}

/// The router's automatic forced failover (`AutomaticFailoverRequest`), towards this node's
/// region: refused when this region trails the writer's last head it heard of by more than the
/// router's bound, or when this node can not reach every region's database.
func addAutomaticFailoverRoute(
    to router: Router<NodeRequestContext>, configuration: ReplicationConfiguration, region: RegionName, status: ReplicationStatus,
    failoverPools: [RegionName: PostgresPool], control: ControlConfiguration
) {
    router.on("/control/v1/failover", method: .post) { request, _ in
        guard let key = configuration.key else { throw Problem.notFound("this node has no deployment key") }
        try key.authenticate(request, known: [LeaseRenewal.routerPrincipal])
        guard let lagEventsMax = try RequestParsing.integer(request, "lagEventsMax", default: nil, range: 0...Int64.max) else {
            throw Problem.badRequest("lagEventsMax is required")
        }
        let figures = status.current
        guard figures.millisecondsSinceContact != nil else {
            throw Problem(slug: "too-far-behind", title: "Too far behind", status: .conflict,
                          detail: "\(region) has not heard from the writer since this node started: what it would cut off is unknown")
        }
        let lag = max(0, figures.writerHeadPosition - figures.readerHeadPosition)
        guard lag <= lagEventsMax else {
            throw Problem(slug: "too-far-behind", title: "Too far behind", status: .conflict,
                          detail: "\(region) trails the writer's last head it heard of by \(lag) events, more than \(lagEventsMax)")
        }
        guard failoverPools[region] != nil else {
            throw Problem(slug: "failover-unavailable", title: "Failover unavailable", status: .serviceUnavailable,
                          detail: "this node has no access to every region's database")
        }
        return try await runFailover(
            pools: failoverPools, target: region, kind: .forced,
            context: AuditContext(actor: LeaseRenewal.routerPrincipal, source: "automatic failover"), control: control
        )
    }
}
