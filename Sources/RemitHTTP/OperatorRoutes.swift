import AsyncHTTPClient
import Foundation
import Hummingbird
import RemitWire
import RemitCore
import RemitDomain
import RemitFailover
import RemitPostgres
import RemitStorage

/// What a node needs to show every region and to run failovers for an operator.
public struct ControlConfiguration: Sendable {
    /// The other regions' nodes, asked for their `/readyz` by `GET /api/v1/regions`.
    public var peers: [RegionName: String]
    /// Every region's database (this one's too), for `POST /api/v1/admin/failover`. Empty:
    /// this node runs no failovers (503), the CLI still can.
    public var failoverDatabaseURLs: [RegionName: String]
    /// The routers, which a forced failover asks whether they have stopped renewing leases,
    /// and whose alarms `GET /api/v1/regions` shows (the first that answers).
    public var routerURLs: [String]
    /// The write lease the routers grant, which a forced failover run here waits out.
    public var leaseMilliseconds = Limits.writeLeaseMilliseconds

    public init(peers: [RegionName: String] = [:], failoverDatabaseURLs: [RegionName: String] = [:], routerURLs: [String] = []) {
        self.peers = peers
        self.failoverDatabaseURLs = failoverDatabaseURLs
        self.routerURLs = routerURLs
    }
}

/// One region as `GET /api/v1/regions` shows it.
struct RegionView: Codable, Sendable {
    var region: RegionName
    var reachable: Bool
    var reason: String?
    var role: RegionRole?
    var epoch: Int64?
    var headPosition: Int64?
    var lagEvents: Int64?
    var leaseMillisecondsLeft: Int64?
    var routing: RoutingRecord?
}

struct RegionsBody: Codable, Sendable {
    /// The newest routing record any region that answered holds: the one the router follows.
    var routing: RoutingRecord?
    var regions: [RegionView]
    /// The router's advice: true when the writer's alarm fires and another region answers.
    /// Absent when this node knows no router or the router did not answer.
    var failoverAdvised: Bool?
    /// Why failover is advised (empty when it is not).
    var advice: [String]?
    /// The router's alarms that are pending or firing.
    var alarms: [ReadinessProbe.RouterAlarms.Alarm]?
    /// The router's automatic forced failover (absent when it is off or the router is not known).
    var autoFailover: ReadinessProbe.RouterAlarms.AutoFailover?
    /// The router's latest alarm changes, newest first (each is also in the audit trail).
    var alarmChanges: [ReadinessProbe.RouterAlarms.Change]?
}

struct FailoverBody: Codable, Sendable {
    var execution: UUID
    var kind: String
    var source: RegionName
    var target: RegionName
    var epoch: Int64
    var headPosition: Int64
    var lossWindow: LossWindowBody?
}

struct LossWindowBody: Codable, Sendable {
    var headPosition: Int64
    var eventsOfEpoch: Int64
    var millisecondsSinceLastApplied: Int64
    var lastEventRecordedAt: Date?
}

struct RunbookListBody: Codable { var items: [RunbookExecution] }

/// A quarantined remittance, identity change or audit entry, with the region that holds it.
struct QuarantineItemBody: Codable {
    var region: RegionName
    var id: UUID
    var summary: String?
    var eventTypes: [String]
    var epoch: Int64
    var forkPosition: Int64
    var created: RemittanceDetails?
    var idempotencyKey: String?
    var decision: String?
    var decidedBy: String?
    var reason: String?

    init(_ held: HeldItem) {
        let item = held.item
        region = held.region
        id = item.id
        summary = item.summary
        eventTypes = item.eventTypes
        epoch = item.epoch
        forkPosition = item.forkPosition
        created = item.created
        idempotencyKey = item.idempotencyKey
        decision = item.decision
        decidedBy = item.decidedBy
        reason = item.reason
    }
}

struct QuarantineListBody: Codable { var items: [QuarantineItemBody] }

struct ResubmissionBody: Codable {
    var isRepeat: Bool
    var position: Int64?
}

/// The operator's routes: every region at a glance, failover, and runbook executions.
func addOperatorRoutes(to routes: NodeRoutes, node: RegionNode, control: ControlConfiguration, failoverPools: [RegionName: PostgresPool]) {
    routes.add(.get, "/api/v1/regions", .only(.operator, .auditor, .admin)) { _, _ in
        try jsonResponse(await regionsView(node: node, peers: control.peers, routerURLs: control.routerURLs))
    }

    routes.add(.post, "/api/v1/admin/failover", .only(.operator)) { request, context in
        let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.authBodyBytesMax)
        var reader = FieldReader(body, allowed: ["target", "force", "acceptDataLoss"])
        let targetText = reader.string("target")
        let force = reader.bool("force", default: false), acceptDataLoss = reader.bool("acceptDataLoss", default: false)
        var errors = reader.errors
        let target = targetText.flatMap(RegionName.init(rawValue:))
        if let targetText, target == nil || failoverPools[target!] == nil && !failoverPools.isEmpty {
            errors.append(FieldError(field: "target", message: "\(targetText) is not one of the regions"))
        }
        if force && !acceptDataLoss {
            errors.append(FieldError(field: "acceptDataLoss", message: "must be true with force: what the target never received is cut off until reconciled"))
        }
        guard errors.isEmpty, let target else { throw Problem(DomainError.invalid(errors)) }
        guard !failoverPools.isEmpty else {
            throw Problem(slug: "failover-unavailable", title: "Failover unavailable", status: .serviceUnavailable,
                          detail: "this node has no access to every region's database; run `remit failover` instead")
        }
        return try await runFailover(
            pools: failoverPools, target: target, kind: force ? .forced : .planned, context: auditContext(context), control: control
        )
    }

    // Reconcile what forced failovers cut off: the quarantine of every region this node reaches.
    let reconciliation = Reconciliation(
        regions: failoverPools.isEmpty ? [(name: node.region, pool: node.pool)] : failoverPools.sorted { $0.key.rawValue < $1.key.rawValue }.map { (name: $0.key, pool: $0.value) }
    )
    routes.add(.get, "/api/v1/admin/quarantine", .only(.operator, .auditor, .admin)) { _, _ in
        try jsonResponse(QuarantineListBody(items: try await reconciliation.list().map(QuarantineItemBody.init)))
    }

    routes.add(.post, "/api/v1/admin/quarantine/{id}/resubmit", .only(.operator)) { _, context in
        let id = try RequestParsing.id(context)
        let outcome = try await reconcile { try await reconciliation.resubmit(id, context: auditContext(context)) }
        return try jsonResponse(ResubmissionBody(isRepeat: outcome.isRepeat, position: outcome.position))
    }

    routes.add(.post, "/api/v1/admin/quarantine/{id}/dismiss", .only(.operator)) { request, context in
        let id = try RequestParsing.id(context)
        // A reason as long as a cancel's, each character possibly escaped: a cancel's limit.
        let (body, _) = try await RequestParsing.json(request, bytesMax: Limits.remittanceBodyBytesMax)
        let reason = try RequestBodies.reason(body).mapError(Problem.init).get()
        try await reconcile { try await reconciliation.dismiss(id, reason: reason, context: auditContext(context)) }
        return Response(status: .noContent)
    }

    routes.add(.get, "/api/v1/admin/runbooks", .only(.operator, .auditor, .admin)) { request, _ in
        let limit = try RequestParsing.integer(request, "limit", default: 20, range: 1...1_000)!
        return try jsonResponse(RunbookListBody(items: try await RunbookStore(pool: node.pool).executions(limit: Int(limit))))
    }

    routes.add(.get, "/api/v1/admin/runbooks/{id}", .only(.operator, .auditor, .admin)) { _, context in
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw Problem.badRequest("the id must be a UUID") }
        guard let execution = try await RunbookStore(pool: node.pool).executions(limit: 1, id: id).first else {
            throw Problem.notFound("no runbook execution \(text.lowercased()) in region \(node.region)")
        }
        return try jsonResponse(execution)
    }
}

/// Runs a failover for the operator API or the router's automatic one, and answers its outcome.
func runFailover(
    pools: [RegionName: PostgresPool], target: RegionName, kind: FailoverExecution.Kind, context: AuditContext, control: ControlConfiguration
) async throws -> Response {
    let routerURLs = control.routerURLs
    let execution = FailoverExecution(
        pools: pools, target: target, kind: kind, context: context, leaseMilliseconds: control.leaseMilliseconds,
        routerRecord: { try RoutersView.of(await ReadinessProbe.routingRecords(routerURLs)) }
    )
    do {
        let outcome = try await execution.run()
        return try jsonResponse(FailoverBody(
            execution: outcome.id, kind: execution.kind.rawValue, source: outcome.source, target: target, epoch: outcome.head.epoch,
            headPosition: outcome.head.position,
            lossWindow: outcome.lossWindow.map {
                LossWindowBody(headPosition: $0.headPosition, eventsOfEpoch: $0.eventsOfEpoch,
                               millisecondsSinceLastApplied: $0.millisecondsSinceLastApplied, lastEventRecordedAt: $0.lastEventRecordedAt)
            }
        ))
    } catch let busy as RunbookBusy {
        throw Problem(slug: "runbook-running", title: "A runbook is running", status: .conflict, detail: busy.description)
    } catch let failure as FailoverError {
        throw Problem(slug: "failover-failed", title: "Failover failed", status: .conflict, detail: failure.description)
    }
}

/// The alarms of the first router (in the order given) that answers.
private func firstRouterAlarms(_ routerURLs: [String]) async -> ReadinessProbe.RouterAlarms? {
    for url in routerURLs {
        if let alarms = try? await ReadinessProbe.routerAlarms(url) { return alarms }
    }
    return nil
}

/// This region from its database, the others from their `/readyz`, with each one's lag behind the writer.
private func regionsView(node: RegionNode, peers: [RegionName: String], routerURLs: [String]) async -> RegionsBody {
    async let routerAlarms = firstRouterAlarms(routerURLs)
    var views: [RegionView] = []
    switch await node.readiness() {
    case .success(let state): views.append(RegionView(state))
    case .failure(let problem): views.append(RegionView(region: node.region, reachable: false, reason: problem.detail))
    }
    await withTaskGroup(of: RegionView.self) { group in
        for (name, url) in peers {
            group.addTask {
                switch await ReadinessProbe.check(url) {
                case .success(let readiness):
                    RegionView(
                        region: name, reachable: true, role: readiness.role, epoch: readiness.epoch, headPosition: readiness.headPosition,
                        leaseMillisecondsLeft: readiness.leaseMillisecondsLeft, routing: readiness.routing
                    )
                case .failure(let notReady):
                    RegionView(region: name, reachable: false, reason: notReady.reason)
                }
            }
        }
        for await view in group { views.append(view) }
    }
    views.sort { $0.region.rawValue < $1.region.rawValue }
    let writerHead = views.filter { $0.role == .writer }.compactMap(\.headPosition).max() ?? views.compactMap(\.headPosition).max()
    for index in views.indices {
        if let head = views[index].headPosition, let writerHead { views[index].lagEvents = max(0, writerHead - head) }
    }
    let alarms = await routerAlarms
    return RegionsBody(
        routing: RoutingRecord.newest(views.map(\.routing)), regions: views, failoverAdvised: alarms?.failoverAdvised,
        advice: alarms?.reasons, alarms: alarms?.alarms.filter { $0.state != "ok" }, autoFailover: alarms?.autoFailover,
        alarmChanges: alarms?.changes.map { Array($0.prefix(Limits.alarmChangesShownMax)) }
    )
}

extension RegionView {
    init(region: RegionName, reachable: Bool, reason: String?) {
        self.init(region: region, reachable: reachable, reason: reason, role: nil, epoch: nil, headPosition: nil, lagEvents: nil,
                  leaseMillisecondsLeft: nil, routing: nil)
    }

    init(_ state: RegionState) {
        self.init(region: state.region, reachable: true, reason: nil, role: state.role, epoch: state.epoch, headPosition: state.headPosition,
                  lagEvents: nil, leaseMillisecondsLeft: state.leaseMillisecondsLeft, routing: state.routing)
    }

    init(region: RegionName, reachable: Bool, role: RegionRole, epoch: Int64, headPosition: Int64, leaseMillisecondsLeft: Int64?, routing: RoutingRecord?) {
        self.init(region: region, reachable: reachable, reason: nil, role: role, epoch: epoch, headPosition: headPosition, lagEvents: nil,
                  leaseMillisecondsLeft: leaseMillisecondsLeft, routing: routing)
    }
}

/// A reconcile decision, its refusals as problems: 404 for an id no quarantine holds, 409 for
/// one decided already or that the writer refuses.
private func reconcile<T>(_ decide: () async throws -> T) async throws -> T {
    do {
        return try await decide()
    } catch let missing as NotQuarantined {
        throw Problem.notFound(missing.description)
    } catch let refusal as QuarantineError {
        throw Problem(slug: "reconcile-refused", title: "Reconcile refused", status: .conflict, detail: refusal.description)
    }
}
