import Foundation
import Logging
import RemitPostgres
import ServiceLifecycle
import Testing
@testable import RemitHTTP

@Suite("slow clients")
struct IdleTimeoutTests {
    /// Connects to 127.0.0.1:port, sends nothing, and returns how long until the server closed
    /// the connection (nil if it was still open after `waitSeconds`).
    private func secondsUntilClosed(port: Int, waitSeconds: Int) -> Double? {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: waitSeconds, tv_usec: 0)
        setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        var byte: UInt8 = 0
        let read = recv(socketDescriptor, &byte, 1, 0)
        return read == 0 ? Date().timeIntervalSince(started) : nil
    }

    @Test("a node closes a connection that stays silent past its idle timeout")
    func silentConnectionClosed() async throws {
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1)
        let node = try TestNode(pool: pool)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildNodeApplication(
            node: node.node, configuration: .init(host: "127.0.0.1", port: 0, idleTimeoutSeconds: 1),
            logger: Logger(label: "test"), onServerRunning: { portContinuation.yield($0) }
        )
        let group = ServiceGroup(services: [app], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let closedAfter = await Task.detached { secondsUntilClosed(port: port, waitSeconds: 5) }.value
            #expect(closedAfter != nil, "still open after 5 s")
            #expect((closedAfter ?? 0) >= 0.5)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await pool.close()
    }
}
