import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RemitCore
import RemitPostgres
import RemitReplication
import RemitStorage
import RemitTestSupport
import RemitWire
import Testing
@testable import RemitRouter

@Suite("alarm changes in the audit trail")
struct AlarmAuditTests {
    static let key = ReplicationKey(hex: ReplicationKey.generateHex())!
    static let (east, west) = (RegionName(rawValue: "east")!, RegionName(rawValue: "west")!)

    func alarmEntries(_ pool: PostgresPool) async throws -> [AuditRecord] {
        try await IdentityStore(pool: pool, region: "east").auditRecords(after: 0, limit: 1_000).filter { $0.action.hasPrefix("alarm.") }
    }

    func post(_ body: AlarmAudit.Body, to url: String, digestOf other: AlarmAudit.Body? = nil, signed: Bool = true) async throws -> Int {
        let bytes = Array(try RemitJSON.encoder().encode(body))
        let pathAndQuery = AlarmAudit.pathAndQuery(body: Array(try RemitJSON.encoder().encode(other ?? body)))
        var request = signed
            ? Self.key.signedRequest(url, method: .POST, pathAndQuery: pathAndQuery, region: LeaseRenewal.routerPrincipal)
            : HTTPClientRequest(url: url + pathAndQuery)
        request.method = .POST
        request.body = .bytes(bytes)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 64 * 1024)
        return Int(response.status.code)
    }

    @Test("the router's alarm changes are recorded once in the writer's audit trail, at a reader in its outbox, and wait while no region answers")
    func recorded() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { eastPool, _ in
            try await withFreshPool(west: true) { westPool, _ in
                try await Migrator(pool: eastPool).apply(migrations)
                try await Migrator(pool: westPool).apply(migrations)
                let replication = ReplicationConfiguration(key: Self.key)
                try await withRunningNode(pool: eastPool, region: "east", role: .writer, replication: replication) { eastURL in
                    try await withRunningNode(pool: westPool, region: "west", role: .reader, replication: replication) { westURL in
                        func auditor(_ regions: [RouterConfiguration.Region]) async -> AlarmAuditor {
                            let checker = HealthChecker(
                                configuration: RouterConfiguration(regions: regions), client: .shared, logger: Logger(label: "test.router")
                            )
                            await checker.checkAll()
                            return AlarmAuditor(checker: checker, client: .shared, key: Self.key, source: "router test", logger: Logger(label: "test.router"))
                        }
                        let firedAt = Date(timeIntervalSince1970: 1_800_000_000)
                        let fired = AlarmBoard.Change(name: .writerUnreachable, state: .firing, at: firedAt, detail: "no region answers as the writer")

                        // Both answer: the active writer records it in its log.
                        let both = await auditor([.init(name: Self.east, url: eastURL), .init(name: Self.west, url: westURL)])
                        both.enqueue([fired])
                        await both.sendPending()
                        #expect(both.waiting == 0)
                        let entries = try await alarmEntries(eastPool)
                        #expect(entries.count == 1)
                        #expect(entries.first?.action == "alarm.firing" && entries.first?.target == "writer-unreachable")
                        #expect(entries.first?.actor == "router" && entries.first?.source == "router test" && entries.first?.detail == "no region answers as the writer")
                        #expect(entries.first?.recordedAt == firedAt, "recorded at the time the alarm changed")

                        // Only the reader answers: its outbox keeps it for the writer.
                        let reader = await auditor([.init(name: Self.west, url: westURL)])
                        reader.enqueue([AlarmBoard.Change(name: .writerUnreachable, state: .ok, at: firedAt.addingTimeInterval(9), detail: nil)])
                        await reader.sendPending()
                        #expect(reader.waiting == 0)
                        let outbox = try await IdentityStore(pool: westPool, region: "west").outbox(limit: 10)
                        #expect(outbox.map(\.action) == ["alarm.resolved"])

                        // No region answers: the change waits.
                        let none = await auditor([.init(name: Self.east, url: "http://127.0.0.1:1")])
                        none.enqueue([fired])
                        await none.sendPending()
                        #expect(none.waiting == 1)

                        // Sent twice (an answer lost): recorded once.
                        let change = AlarmAudit.Change(entry: UUID(), alarm: "latency", state: "firing", atMicroseconds: 1_800_000_000_000_000, detail: "slow")
                        #expect(try await post(.init(source: "router test", changes: [change]), to: eastURL) == 204)
                        #expect(try await post(.init(source: "router test", changes: [change]), to: eastURL) == 204)
                        #expect(try await alarmEntries(eastPool).filter { $0.target == "latency" }.count == 1)

                        // Unsigned, or a body other than the one the signed digest names: refused, nothing recorded.
                        let forged = AlarmAudit.Change(entry: UUID(), alarm: "forged", state: "ok", atMicroseconds: 0, detail: "")
                        #expect(try await post(.init(source: "router test", changes: [forged]), to: eastURL, signed: false) == 401)
                        #expect(try await post(.init(source: "router test", changes: [forged]), to: eastURL, digestOf: .init(source: "router test", changes: [change])) == 400)
                        #expect(try await alarmEntries(eastPool).count == 2)
                    }
                }
            }
        }
    }
}
