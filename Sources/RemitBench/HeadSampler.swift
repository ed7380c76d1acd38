import Foundation
import RemitPostgres
import RemitStorage
import Synchronization

/// Watches a reader's head, remembering when each new head was first seen.
final class HeadSampler: Sendable {
    let pool: PostgresPool
    private let samples = Mutex<[(position: Int64, at: ContinuousClock.Instant)]>([])

    init(pool: PostgresPool) { self.pool = pool }

    func run() async throws {
        var last: Int64 = -1
        while !Task.isCancelled {
            let head = try await RegionStore(pool: pool).headPosition()
            if head != last {
                let now = ContinuousClock.now
                samples.withLock { $0.append((head, now)) }
                last = head
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// When the head first reached `position`.
    func firstSeen(_ position: Int64) -> ContinuousClock.Instant? {
        samples.withLock { samples in samples.first { $0.position >= position }?.at }
    }

    func waitFor(_ position: Int64, timeoutSeconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while firstSeen(position) == nil {
            guard ContinuousClock.now < deadline else { throw BenchError("the reader did not reach position \(position) within \(timeoutSeconds) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
