import RemitCore

/// The pool's bookkeeping, kept apart from its I/O so that every transition is a plain,
/// synchronous function (called under the pool's lock) with its own tests.
struct PoolState {
    enum Grant: Sendable {
        case connection(PostgresConnection)
        /// The holder may open a new connection: a place was freed by a connection that was closed.
        case openPermit
    }

    enum Acquire {
        case lend(PostgresConnection)
        case open
        case wait(id: Int)
    }

    typealias Waiter = CheckedContinuation<Grant, any Error>

    /// What `release` decided: hand something to a waiter, or nothing to do.
    struct Wakeup {
        let waiter: Waiter
        let grant: Grant
        func resume() { waiter.resume(returning: grant) }
    }

    let connectionsMax: Int
    private var idle: [PostgresConnection] = []
    /// Connections open or being opened (a place is taken before the connect starts).
    private var open = 0
    private var lent = 0
    private var lentHighWater = 0
    private var waiters: [(id: Int, continuation: Waiter)] = []
    /// Waiter ids handed out by `acquire` and not yet parked by `enqueue`.
    private var unparked: Set<Int> = []
    private var nextWaiterID = 0
    private var closed = false

    init(connectionsMax: Int) {
        self.connectionsMax = connectionsMax
    }

    var statistics: PostgresPool.Statistics {
        .init(open: open, lent: lent, waiting: waiters.count, lentHighWater: lentHighWater)
    }

    mutating func acquire() throws(PostgresError) -> Acquire {
        guard !closed else { throw Self.closedError }
        if let connection = idle.popLast() {
            lend()
            return .lend(connection)
        }
        if open < connectionsMax {
            open += 1
            lend()
            return .open
        }
        guard waiters.count < Limits.poolWaitersMax else {
            throw PostgresError(code: .poolExhausted, message: "too many requests are waiting for a database connection")
        }
        nextWaiterID += 1
        unparked.insert(nextWaiterID)
        return .wait(id: nextWaiterID)
    }

    /// Parks a waiter, or says what to resume it with instead: it was cancelled before it could
    /// be parked (its id is no longer unparked), or the pool closed meanwhile.
    mutating func enqueue(_ id: Int, _ continuation: Waiter) -> (any Error)? {
        guard unparked.remove(id) != nil else { return CancellationError() }
        guard !closed else { return Self.closedError }
        waiters.append((id, continuation))
        return nil
    }

    /// Takes a waiter out (timeout or cancellation); nil if it was already served.
    mutating func removeWaiter(_ id: Int, cancelling: Bool = false) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else {
            // Cancelled before it was parked: forget the id, so that enqueue refuses it.
            if cancelling { unparked.remove(id) }
            return nil
        }
        return waiters.remove(at: index).continuation
    }

    /// A connect failed: its place is free again. A waiter may use it to try in turn.
    mutating func openFailed() -> Waiter? {
        lent -= 1
        if !waiters.isEmpty {
            lend()
            return waiters.removeFirst().continuation
        }
        open -= 1
        return nil
    }

    /// A borrower gives back its connection, or nil when the connection was not reusable.
    mutating func release(_ connection: PostgresConnection?) -> Wakeup? {
        lent -= 1
        if closed {
            open -= 1
            return nil
        }
        guard !waiters.isEmpty else {
            if let connection { idle.append(connection) } else { open -= 1 }
            return nil
        }
        lend()
        let waiter = waiters.removeFirst().continuation
        // A broken connection's place goes to the waiter, who opens a fresh one.
        return Wakeup(waiter: waiter, grant: connection.map(Grant.connection) ?? .openPermit)
    }

    mutating func close() -> ([Waiter], [PostgresConnection]) {
        closed = true
        let parked = waiters.map(\.continuation)
        waiters.removeAll()
        let idleConnections = idle
        open -= idle.count
        idle.removeAll()
        return (parked, idleConnections)
    }

    static let closedError = PostgresError(code: .poolClosed, message: "the connection pool is closed")

    private mutating func lend() {
        lent += 1
        lentHighWater = max(lentHighWater, lent)
        precondition(lent <= connectionsMax, "the pool lent more connections than it may open")
    }
}
