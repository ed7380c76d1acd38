import AsyncHTTPClient
import Foundation
import Logging
import RemitCore
import RemitWire
import ServiceLifecycle
import Synchronization

/// Records every alarm change in the audit trail (`AlarmAudit`): sent to the active region if
/// it answers, else to any region that does (a reader keeps them in its outbox for the writer).
/// While none takes them they wait, at most `Limits.alarmChangesPendingMax`, oldest first.
final class AlarmAuditor: Service, Sendable {
    private let checker: HealthChecker
    private let client: HTTPClient
    private let key: ReplicationKey
    private let logger: Logger
    /// How the audit trail names this router (`router 127.0.0.1:8080`).
    private let source: String
    private let pending = Mutex<[AlarmAudit.Change]>([])

    init(checker: HealthChecker, client: HTTPClient, key: ReplicationKey, source: String, logger: Logger) {
        self.source = source
        self.checker = checker
        self.client = client
        self.key = key
        self.logger = logger
    }

    /// Changes waiting to be recorded.
    var waiting: Int { pending.withLock { $0.count } }

    func enqueue(_ changes: [AlarmBoard.Change]) {
        guard !changes.isEmpty else { return }
        let dropped = pending.withLock { pending in
            pending += changes.map { change in
                AlarmAudit.Change(
                    entry: UUID(), alarm: change.name.rawValue, state: change.state.rawValue,
                    atMicroseconds: Int64(change.at.timeIntervalSince1970 * 1_000_000), detail: change.detail ?? ""
                )
            }
            let over = max(0, pending.count - Limits.alarmChangesPendingMax)
            pending.removeFirst(over)
            return over
        }
        if dropped > 0 {
            logger.error("alarm changes dropped unrecorded: no region took them", metadata: ["dropped": "\(dropped)"])
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sendPending()
                try? await Task.sleep(for: .milliseconds(Limits.healthCheckIntervalMilliseconds))
            }
        }
    }

    /// Sends what waits, a request at a time, until it is all recorded or no region takes it.
    func sendPending() async {
        while true {
            let batch = pending.withLock { Array($0.prefix(Limits.alarmChangesPerRequestMax)) }
            guard !batch.isEmpty else { return }
            let regions = checker.regions
            var targets = RegionSelection.active(regions).map { [$0] } ?? []
            targets += regions.filter { region in region.readiness != nil && !targets.contains { $0.region == region.region } }
            var recorded = false
            for target in targets where await send(batch, to: target) {
                recorded = true
                break
            }
            guard recorded else { return }
            let sent = Set(batch.map(\.entry))
            pending.withLock { $0.removeAll { sent.contains($0.entry) } }
        }
    }

    private func send(_ changes: [AlarmAudit.Change], to region: RegionHealth) async -> Bool {
        do {
            let bytes = Array(try RemitJSON.encoder().encode(AlarmAudit.Body(source: source, changes: changes)))
            var request = key.signedRequest(
                region.url, method: .POST, pathAndQuery: AlarmAudit.pathAndQuery(body: bytes), region: LeaseRenewal.routerPrincipal
            )
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(bytes)
            let response = try await client.execute(request, timeout: .milliseconds(Limits.healthCheckTimeoutMilliseconds))
            _ = try await response.body.collect(upTo: 64 * 1024)
            guard response.status == .noContent else {
                logger.warning("alarm changes refused", metadata: ["region": "\(region.region)", "status": "\(response.status.code)"])
                return false
            }
            return true
        } catch {
            logger.warning("alarm changes not sent", metadata: ["region": "\(region.region)", "error": "\(error)"])
            return false
        }
    }
}
