import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Creates at a steady rate through the router, each with its own idempotency key, retrying a
/// failed create with the same key, as a careful client does.
final class SteadyCreates: Sendable {
    struct Outcome {
        /// Each acknowledged create's key and when its answer came, in that order.
        var acknowledged: [(key: String, at: ContinuousClock.Instant)] = []
        /// Each failed attempt: when, and what it got (an HTTP status, or "no answer").
        var errors: [(at: ContinuousClock.Instant, what: String)] = []

        /// The failed attempts (between `from` and `to`, when given), counted by what they got: "503 ×12, no answer ×3".
        func errorSummary(from: ContinuousClock.Instant? = nil, to: ContinuousClock.Instant? = nil) -> (count: Int, text: String) {
            let inWindow = errors.filter { $0.at >= from ?? $0.at && $0.at <= to ?? $0.at }
            let counts = Dictionary(grouping: inWindow, by: \.what).mapValues(\.count).sorted { $0.key < $1.key }
            return (inWindow.count, counts.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        var acknowledgedAt: [ContinuousClock.Instant] { acknowledged.map(\.at) }
        var acknowledgedKeys: [String] { acknowledged.map(\.key) }
    }

    let client: HTTPClient
    let url: String
    let token: String
    let rate: Int
    let runID: String
    private let stopped = Mutex(false)
    private let recorded = Mutex(Outcome())

    init(client: HTTPClient, url: String, token: String, rate: Int, run: some StringProtocol) {
        self.client = client
        self.url = url
        self.token = token
        self.rate = rate
        self.runID = String(run)
    }

    func stop() { stopped.withLock { $0 = true } }

    var outcome: Outcome {
        var outcome = recorded.withLock { $0 }
        outcome.acknowledged.sort { $0.at < $1.at }
        return outcome
    }

    func run() async throws {
        let workers = min(32, rate)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = worker
                    while !self.stopped.withLock({ $0 }) {
                        try await Task.sleep(until: start + .microseconds(Int64(index) * 1_000_000 / Int64(self.rate)))
                        let key = "bench-failover-\(self.runID)-\(index)"
                        for _ in 0..<20 {
                            if await self.create(key: key, worker: worker, index: index) { break }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        index += workers
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// True when the create was acknowledged (201, or 200 for a repeat of an acknowledged key).
    private func create(key: String, worker: Int, index: Int) async -> Bool {
        var request = HTTPClientRequest(url: url + "/api/v1/remittances")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Idempotency-Key", value: key)
        request.body = .bytes(ByteBuffer(string: AppendLoad.body(worker, index)))
        let response = try? await client.execute(request, timeout: .seconds(30))
        let body = (try? await response?.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
        let status = response?.status
        let now = ContinuousClock.now
        if status == .created || status == .ok {
            recorded.withLock { $0.acknowledged.append((key, now)) }
            return true
        }
        // "503 storage-unavailable": the status and the problem's slug, so a figure says who refused and why.
        let slug = body.firstRange(of: "urn:remit:problem:").map { body[$0.upperBound...].prefix { $0 != "\"" } }.map { " \($0)" } ?? ""
        recorded.withLock { $0.errors.append((now, status.map { "\($0.code)\(slug)" } ?? "no answer")) }
        return false
    }
}
