import Logging
import RemitCore
import RemitPostgres
import ServiceLifecycle

/// Keeps the views up to date with the log: wakes when the appender commits (or every
/// `Limits.projectorPollMilliseconds`, for events other nodes or replication wrote) and applies
/// what is new. Several nodes of a region may run one each: the checkpoint lock makes them take turns.
public final class Projector: Service, Sendable {
    private let pool: PostgresPool
    private let logger: Logger
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the projector there is something new.
    public func notify() {
        ring.yield()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(Limits.projectorPollMilliseconds))
                        self.ring.yield()
                    }
                }
                for await _ in self.doorbell {
                    do {
                        _ = try await self.catchUp()
                    } catch is CancellationError {
                        break  // shutting down: not a failure
                    } catch {
                        self.logger.error("projecting failed; will retry", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: .milliseconds(Limits.projectorRunIntervalMillisecondsMin))
                }
                group.cancelAll()
            }
        }
    }

    /// Applies batches until the views hold every event; returns the checkpoint reached.
    @discardableResult
    public func catchUp() async throws -> Int64 {
        while true {
            let (applied, position) = try await pool.withConnection { connection in
                try ProjectionWriter.projectBatch(connection, limit: Limits.projectorBatchEventsMax)
            }
            if applied < Limits.projectorBatchEventsMax { return position }
        }
    }

    /// Rebuilds every view from position 0 aside and puts it in place (`ViewRebuild`): readers
    /// see the old views until that commits, then the new ones. `full`: a new table swapped in
    /// even when few rows differ.
    public static func rebuild(
        pool: PostgresPool, full: Bool = false, progress: @escaping @Sendable (ViewRebuild.Progress) -> Void
    ) async throws -> ViewRebuild.Rebuilt {
        try await ViewRebuild.run(pool: pool, full: full, progress: progress)
    }
}
