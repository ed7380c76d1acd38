import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RemitCore
import RemitFailover
import RemitStorage
import RemitTestSupport
import RemitWire
import Testing
@testable import RemitReplication

@Suite("the router's automatic failover at the target's node")
struct AutomaticFailoverRouteTests {
    static let key = ReplicationKey(hex: ReplicationKey.generateHex())!

    func ask(_ client: any TestClientProtocol, lagEventsMax: Int64, signed: Bool = true) async throws -> (status: Int, detail: String?) {
        let pathAndQuery = AutomaticFailoverRequest.pathAndQuery(lagEventsMax: lagEventsMax)
        var headers = HTTPFields()
        if signed {
            for (name, value) in Self.key.headers(method: "POST", pathAndQuery: pathAndQuery, region: LeaseRenewal.routerPrincipal) {
                headers[HTTPField.Name(name)!] = value
            }
        }
        let response = try await client.execute(uri: pathAndQuery, method: .post, headers: headers)
        return (Int(response.status.code), try? RemitJSON.decoder().decode(Problem.self, from: Data(buffer: response.body)).detail)
    }

    @Test("refused unsigned, when the region never heard from the writer, and when it trails the writer's last head by more than the bound")
    func lagBound() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            let west = RegionName(rawValue: "west")!
            _ = try await RegionStore(pool: pool).claim(west, initialRole: .reader)
            let node = try TestNode(pool: pool, region: west, role: .reader, replication: ReplicationConfiguration(key: Self.key))
            try await node.test(authenticated: false) { client in
                #expect(try await ask(client, lagEventsMax: 1_000, signed: false).status == 401)
                let unheard = try await ask(client, lagEventsMax: 1_000)
                #expect(unheard.status == 409 && unheard.detail?.contains("has not heard from the writer") == true)
                node.replication.status.update { $0.recordHeads(reader: 100, readerRecordedAt: nil, writer: 500, writerRecordedAt: nil) }
                node.replication.status.contact()
                let behind = try await ask(client, lagEventsMax: 399)
                #expect(behind.status == 409 && behind.detail == "west trails the writer's last head it heard of by 400 events, more than 399")
                // Within the bound it goes on to the failover, which this node (no other region's database) can not run.
                #expect(try await ask(client, lagEventsMax: 400).status == 503)
            }
            #expect(try await RunbookStore(pool: pool).executions(limit: 10).isEmpty, "nothing was started")
        }
    }
}
