import NIOPosix
import RemitCore
import Synchronization

/// A bounded pool of connections to one database, with its own threads for libpq's blocking calls.
///
/// `withConnection` waits (without blocking a thread) for a connection, then runs its closure on
/// one of the pool's threads. There are as many threads as connections, so no query ever waits
/// for a thread. At most `connectionsMax` connections are ever open, however many callers.
public final class PostgresPool: Sendable {
    public struct Statistics: Sendable, Equatable {
        /// Connections open now (lent out plus idle).
        public var open: Int
        /// Connections lent out now.
        public var lent: Int
        /// Callers waiting for a connection now.
        public var waiting: Int
        /// The most connections ever lent out at once.
        public var lentHighWater: Int
        /// Since the pool was made: callers that had to wait for a connection, how long they
        /// waited in all, and how many gave up at the acquire timeout.
        public var waitsTotal: Int64 = 0
        public var waitSecondsTotal: Double = 0
        public var acquireTimeoutsTotal: Int64 = 0
        /// Errors PostgreSQL or libpq gave the pool's callers, by `PostgresError.Code`.
        public var errorsTotal: [String: Int64] = [:]
    }

    public let connectionsMax: Int
    private let url: String
    private let applicationName: String
    private let acquireTimeoutMilliseconds: Int64
    private let threads: NIOThreadPool
    private let state: Mutex<PoolState>
    /// What `statistics` counts beyond the pool's state: waits, timeouts, errors.
    private let tallies = Mutex(Statistics(open: 0, lent: 0, waiting: 0, lentHighWater: 0))

    public init(
        url: String,
        connectionsMax: Int = Limits.poolConnectionsMax,
        applicationName: String = "remit",
        acquireTimeoutMilliseconds: Int64 = Limits.poolAcquireTimeoutMilliseconds
    ) {
        precondition(connectionsMax > 0, "a pool needs at least one connection")
        self.url = url
        self.connectionsMax = connectionsMax
        self.applicationName = applicationName
        self.acquireTimeoutMilliseconds = acquireTimeoutMilliseconds
        self.threads = NIOThreadPool(numberOfThreads: connectionsMax)
        self.threads.start()
        self.state = Mutex(PoolState(connectionsMax: connectionsMax))
    }

    /// Borrows a connection, runs `body` with it on a pool thread, and gives it back.
    /// A connection left broken or inside a transaction is closed instead of reused.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let connection: PostgresConnection
        do {
            connection = try await acquire()
        } catch {
            throw counted(error)
        }
        do {
            let value = try await threads.runIfActive { try body(connection) }
            release(connection)
            return value
        } catch {
            release(connection)
            throw counted(error)
        }
    }

    private func counted(_ error: any Error) -> any Error {
        if let failure = error as? PostgresError { tallies.withLock { $0.errorsTotal[failure.code.description, default: 0] += 1 } }
        return error
    }

    /// Runs `body` in a transaction on a pooled connection.
    @discardableResult
    public func withTransaction<T: Sendable>(
        isolation: PostgresConnection.IsolationLevel = .readCommitted,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try connection.withTransaction(isolation: isolation, body)
        }
    }

    /// A connection of its own to the pool's database, outside the pool's bound, for a
    /// session that must last (holding an advisory lock). The caller closes it; its calls
    /// block, so make them on a thread pool.
    public func openUnpooledConnection(applicationName: String) async throws -> PostgresConnection {
        let url = self.url
        return try await NIOThreadPool.singleton.runIfActive { try PostgresConnection(url: url, applicationName: applicationName) }
    }

    /// Runs `body` on an unpooled `connection` (see `openUnpooledConnection`) on a thread pool,
    /// never on the caller's: its calls block.
    public func run<T: Sendable>(on connection: PostgresConnection, _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try body(connection) }
    }

    public var statistics: Statistics {
        var statistics = state.withLock { $0.statistics }
        let tallies = tallies.withLock { $0 }
        statistics.waitsTotal = tallies.waitsTotal
        statistics.waitSecondsTotal = tallies.waitSecondsTotal
        statistics.acquireTimeoutsTotal = tallies.acquireTimeoutsTotal
        statistics.errorsTotal = tallies.errorsTotal
        return statistics
    }

    /// Fails every waiter, closes idle connections and stops the threads once borrowed
    /// connections come back. Using the pool afterwards throws `poolClosed`.
    public func close() async {
        let (waiters, idle) = state.withLock { $0.close() }
        for waiter in waiters { waiter.resume(throwing: PoolState.closedError) }
        _ = idle  // closed here, as the last references go
        try? await threads.shutdownGracefully()
    }

    // MARK: Lending

    private func acquire() async throws -> PostgresConnection {
        switch try state.withLock({ state throws(PostgresError) in try state.acquire() }) {
        case .lend(let connection):
            return connection
        case .open:
            return try await open()
        case .wait(let id):
            return try await wait(id)
        }
    }

    private func wait(_ id: Int) async throws -> PostgresConnection {
        let started = ContinuousClock.now
        defer {
            let waited = (ContinuousClock.now - started).milliseconds / 1_000
            tallies.withLock {
                $0.waitsTotal += 1
                $0.waitSecondsTotal += waited
            }
        }
        let grant: PoolState.Grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if let refusal = state.withLock({ $0.enqueue(id, continuation) }) {
                    return continuation.resume(throwing: refusal)
                }
                let timeoutMilliseconds = acquireTimeoutMilliseconds
                Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(timeoutMilliseconds))
                    guard let self, let waiter = self.state.withLock({ $0.removeWaiter(id) }) else { return }
                    self.tallies.withLock { $0.acquireTimeoutsTotal += 1 }
                    waiter.resume(
                        throwing: PostgresError(
                            code: .poolTimeout,
                            message: "no database connection became free within \(timeoutMilliseconds) ms"
                        )
                    )
                }
            }
        } onCancel: {
            state.withLock { $0.removeWaiter(id, cancelling: true) }?.resume(throwing: CancellationError())
        }
        switch grant {
        case .connection(let connection): return connection
        case .openPermit: return try await open()
        }
    }

    /// Opens a connection on a pool thread; the caller already holds one of the `connectionsMax` places.
    private func open() async throws -> PostgresConnection {
        do {
            let url = self.url, applicationName = self.applicationName
            let connection = try await threads.runIfActive {
                try PostgresConnection(url: url, applicationName: applicationName)
            }
            return connection
        } catch {
            // Give the place back; a waiter, if any, tries to open one in our stead.
            state.withLock { $0.openFailed() }?.resume(returning: .openPermit)
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        let reusable = connection.isReusable
        state.withLock { $0.release(reusable ? connection : nil) }?.resume()
    }
}
