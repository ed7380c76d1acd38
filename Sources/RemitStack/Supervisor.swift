import Foundation
import Logging
import RemitCore
import Synchronization

/// Keeps `remit up`'s processes and clusters running: each is watched on its own, and one that
/// dies is started again as its `RestartPlan` says (back-off, a bound), logged with its count;
/// the others never stop for it. A crash loop past the bound ends `run` with the reason, and
/// `remit up` then stops everything.
public final class Supervisor: Sendable {
    private let clusters: [LocalCluster]
    private let logger: Logger
    /// The processes as they are now (a restart replaces one).
    private let current: Mutex<[ChildProcess]>
    private let restarts = Mutex<[String: Int]>([:])

    public init(clusters: [LocalCluster], children: [ChildProcess], logger: Logger) {
        self.clusters = clusters
        self.logger = logger
        current = Mutex(children)
    }

    /// The processes now, to stop them.
    public var children: [ChildProcess] { current.withLock { $0 } }

    /// Restarts so far, by what was restarted (`node east`, `PostgreSQL east`, …).
    public var restartCounts: [String: Int] { restarts.withLock { $0 } }

    /// Watches until `stopping()` says so (returns) or something dies too often (throws).
    public func run(stopping: @escaping @Sendable () -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for cluster in clusters {
                group.addTask {
                    // A cluster the operator stopped (or a drill killed for good) is left down.
                    try await self.watch("PostgreSQL \(cluster.region)", stopping: stopping, alive: { cluster.postmasterAlive() || cluster.restartsHeld }) {
                        try await Self.offThread { try cluster.start() }
                    }
                }
            }
            for index in children.indices {
                group.addTask {
                    let name = self.current.withLock { $0[index].name }
                    try await self.watch(name, stopping: stopping, alive: { self.current.withLock { $0[index] }.isRunning }) {
                        let again = try self.current.withLock { $0[index] }.again()
                        self.current.withLock { $0[index] = again }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func watch(
        _ name: String, stopping: @escaping @Sendable () -> Bool, alive: @escaping @Sendable () -> Bool, start: @escaping @Sendable () async throws -> Void
    ) async throws {
        var plan = RestartPlan()
        let origin = ContinuousClock.now
        while !stopping() {
            if alive() {
                try? await Task.sleep(for: .milliseconds(Limits.superviseIntervalMilliseconds))
                continue
            }
            let diedAt = ContinuousClock.now
            switch plan.died(at: (diedAt - origin).milliseconds / 1_000) {
            case .giveUp(let restartsInWindow):
                logger.error("giving up: it died again", metadata: ["process": "\(name)", "restarts in window": "\(restartsInWindow)"])
                throw StackError("\(name) died \(restartsInWindow + 1) times within \(Limits.restartWindowSeconds) s; see its log")
            case .restart(let delay, let count):
                logger.warning("died; starting it again", metadata: ["process": "\(name)", "restart": "\(count)", "after ms": "\(delay)"])
                try? await Task.sleep(for: .milliseconds(delay))
                guard !stopping() else { return }
                restarts.withLock { $0[name] = count }
                do {
                    try await start()
                    logger.warning("restarted", metadata: [
                        "process": "\(name)", "restart": "\(count)",
                        "down ms": "\(Int((ContinuousClock.now - diedAt).milliseconds))",
                    ])
                } catch {
                    logger.error("could not start it again", metadata: ["process": "\(name)", "error": "\(error)"])
                }
            }
        }
    }

    /// Runs blocking work (`pg_ctl`) on a thread of its own, not on the concurrency pool's few.
    private static func offThread(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do {
                    try work()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
