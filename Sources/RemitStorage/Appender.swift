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

    struct Pending {
        let command: LedgerCommand
        let bytes: Int
        let continuation: CheckedContinuation<Result<LedgerOutcome, DomainError>, any Error>
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
    /// Pending commands, figures, and whether the appender stopped (then nothing more is queued).
    private let queue = Mutex<(pending: [Pending], statistics: Statistics, stopped: Bool)>(([], Statistics(), false))
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
        try await withCheckedThrowingContinuation { continuation in
            let refusal = queue.withLock { state -> Failure? in
                guard !state.stopped else { return .storage("the node is shutting down") }
                guard state.pending.count < Limits.appendQueueDepthMax else { return .overloaded }
                state.pending.append(Pending(command: command, bytes: bytes, continuation: continuation))
                state.statistics.queued = state.pending.count
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
            var count = 0, bytes = 0
            for pending in state.pending {
                guard count < Limits.appendBatchCommandsMax, count == 0 || bytes + pending.bytes <= Limits.appendBatchBytesMax else { break }
                count += 1
                bytes += pending.bytes
            }
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            state.statistics.queued = state.pending.count
            state.statistics.batches += 1
            state.statistics.commands += count
            state.statistics.largestBatch = max(state.statistics.largestBatch, count)
            return batch
        }
    }

    private func commit(_ batch: [Pending]) async {
        let commands = batch.map(\.command)
        let amountMax = self.amountMax
        let started = ContinuousClock.now
        func ended(_ outcome: Batch.Outcome, appended: Int = 0) {
            onBatch(Batch(commands: batch.count, appended: appended, elapsed: ContinuousClock.now - started, outcome: outcome))
        }
        do {
            let outcomes = try await pool.withConnection { connection in
                try LedgerWriter.append(commands, amountMax: amountMax, on: connection)
            }
            precondition(outcomes.count == batch.count, "one outcome per command")
            let positions = outcomes.compactMap { (try? $0.get())?.position }
            ended(.committed, appended: positions.count)
            if let last = positions.max() { onCommit(last) }
            for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(returning: outcome) }
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
