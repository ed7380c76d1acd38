import Foundation
import Logging
import RemitCore
import RemitDomain
import RemitPostgres
import ServiceLifecycle
import Synchronization

/// Group commit. Requests never open their own transaction: they queue their command here and
/// wait; one loop takes every queued command (up to the batch bounds), appends them in one
/// transaction, and answers each only after that transaction committed. While one batch
/// commits the next one fills, so batches grow with load and a lone request waits for no one.
public final class Appender: Service, Sendable {
    public enum Failure: Error, Sendable {
        /// The queue is full: the region is overloaded (503).
        case overloaded
        /// The region is not the writer (409, naming the writer).
        case notWriter(NotWriterError)
        /// The database failed; nothing of the batch was written (503).
        case storage(String)
    }

    /// One request's commands: appended in one transaction, in order, and answered together.
    struct Pending {
        let commands: [LedgerCommand]
        let bytes: Int
        let continuation: CheckedContinuation<[Result<LedgerOutcome, DomainError>], any Error>
    }

    /// One batch as it ended, for figures: how many commands, how many were appended (the
    /// others refused by the domain), how long the transaction took, and how it ended.
    public struct Batch: Sendable {
        public enum Outcome: String, Sendable, CaseIterable {
            case committed, notWriter = "not-writer", failed
        }

        public var commands: Int
        public var appended: Int
        public var elapsed: Duration
        public var outcome: Outcome
    }

    public struct Statistics: Sendable, Equatable {
        public var batches: Int = 0
        public var commands: Int = 0
        public var queued: Int = 0
        public var largestBatch: Int = 0
    }

    private let pool: PostgresPool
    private let amountMax: Int64
    private let logger: Logger
    /// Pending requests, how many commands they hold, figures, and whether the appender stopped
    /// (then nothing more is queued).
    private let queue = Mutex<(pending: [Pending], commands: Int, statistics: Statistics, stopped: Bool)>(([], 0, Statistics(), false))
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    /// Told the last position after each commit (the projector listens).
    private let onCommit: @Sendable (Int64) -> Void
    private let onBatch: @Sendable (Batch) -> Void

    /// - Parameters:
    ///   - onCommit: called with the last position of each batch that committed.
    ///   - onBatch: called once per batch, however it ended.
    public init(
        pool: PostgresPool, amountMax: Int64, logger: Logger, onBatch: @escaping @Sendable (Batch) -> Void = { _ in },
        onCommit: @escaping @Sendable (Int64) -> Void = { _ in }
    ) {
        self.onBatch = onBatch
        self.pool = pool
        self.amountMax = amountMax
        self.logger = logger
        self.onCommit = onCommit
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var statistics: Statistics { queue.withLock { $0.statistics } }

    /// Queues a command and waits until its batch committed (or it was refused).
    /// - Parameter bytes: the size of the request, for the batch's byte bound.
    public func submit(_ command: LedgerCommand, bytes: Int) async throws -> Result<LedgerOutcome, DomainError> {
        try await submit([command], bytes: bytes)[0]
    }

    /// Queues a request's commands and waits until they committed: all in one transaction, so
    /// a failure writes none of them; refused commands get their `DomainError`, one outcome
    /// per command in order.
    public func submit(_ commands: [LedgerCommand], bytes: Int) async throws -> [Result<LedgerOutcome, DomainError>] {
        precondition(!commands.isEmpty && commands.count <= Limits.appendQueueDepthMax, "a request holds 1 to appendQueueDepthMax commands")
        return try await withCheckedThrowingContinuation { continuation in
            let refusal = queue.withLock { state -> Failure? in
                guard !state.stopped else { return .storage("the node is shutting down") }
                guard state.commands + commands.count <= Limits.appendQueueDepthMax else { return .overloaded }
                state.pending.append(Pending(commands: commands, bytes: bytes, continuation: continuation))
                state.commands += commands.count
                state.statistics.queued = state.commands
                return nil
            }
            if let refusal { return continuation.resume(throwing: refusal) }
            ring.yield()
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.doorbell {
                if Limits.appendLingerMicroseconds > 0 {
                    try? await Task.sleep(for: .microseconds(Limits.appendLingerMicroseconds))
                }
                while let batch = self.takeBatch() {
                    await self.commit(batch)
                }
            }
        }
        // Shutting down: nothing more will be committed; tell whoever still waits, and refuse
        // whatever arrives from now on.
        let abandoned = queue.withLock { state in
            defer {
                state.pending = []
                state.commands = 0
                state.stopped = true
            }
            return state.pending
        }
        for pending in abandoned {
            pending.continuation.resume(throwing: Failure.storage("the node is shutting down"))
        }
    }

    private func takeBatch() -> [Pending]? {
        queue.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            // Whole requests only; one larger than the bounds is a batch of its own.
            var taken = 0, commands = 0, bytes = 0
            for pending in state.pending {
                let fits = commands + pending.commands.count <= Limits.appendBatchCommandsMax && bytes + pending.bytes <= Limits.appendBatchBytesMax
                guard taken == 0 || fits else { break }
                taken += 1
                commands += pending.commands.count
                bytes += pending.bytes
            }
            let batch = Array(state.pending.prefix(taken))
            state.pending.removeFirst(taken)
            state.commands -= commands
            state.statistics.queued = state.commands
            state.statistics.batches += 1
            state.statistics.commands += commands
            state.statistics.largestBatch = max(state.statistics.largestBatch, commands)
            return batch
        }
    }

    private func commit(_ batch: [Pending]) async {
        let commands = batch.flatMap(\.commands)
        let amountMax = self.amountMax
        let started = ContinuousClock.now
        func ended(_ outcome: Batch.Outcome, appended: Int = 0) {
            onBatch(Batch(commands: commands.count, appended: appended, elapsed: ContinuousClock.now - started, outcome: outcome))
        }
        do {
            let outcomes = try await pool.withConnection { connection in
                try LedgerWriter.append(commands, amountMax: amountMax, on: connection)
            }
            precondition(outcomes.count == commands.count, "one outcome per command")
            let positions = outcomes.compactMap { (try? $0.get())?.position }
            ended(.committed, appended: positions.count)
            if let last = positions.max() { onCommit(last) }
            var rest = outcomes[...]
            for pending in batch {
                pending.continuation.resume(returning: Array(rest.prefix(pending.commands.count)))
                rest = rest.dropFirst(pending.commands.count)
            }
        } catch let error as NotWriterError {
            ended(.notWriter)
            for pending in batch { pending.continuation.resume(throwing: Failure.notWriter(error)) }
        } catch {
            ended(.failed)
            logger.error("append batch failed; nothing of it was written", metadata: ["commands": "\(batch.count)", "error": "\(error)"])
            for pending in batch { pending.continuation.resume(throwing: Failure.storage("\(error)")) }
        }
    }
}
