import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Watches acknowledged creates become readable at the reader region's API, as a client that
/// reads its own write there would: the first `GET /api/v1/remittances/{id}` answering 200
/// (read from the log: the replication path), and the first `GET /api/v1/remittances?filter=id=…`
/// listing it (the views, whose rows and dashboard figures the projector writes in one
/// transaction).
///
/// One watcher per kind of read takes the latest acknowledged create, asks for it every
/// `retryMilliseconds` until the reader has it, then takes the latest again: a sample of the
/// creates, at a load on the reader that does not grow with the lag (watching every create
/// did: at 100 ms of lag, 10,000 requests a second, which made the lag it measured). A figure
/// is when the create was first *seen*: late by at most the interval and a request.
final class ReaderVisibility: Sendable {
    struct Figures {
        var get: Percentiles
        var list: Percentiles
        /// Watched creates never seen within `Self.givenUpAfterSeconds`.
        var unseen: Int
    }

    enum Read: Sendable { case byID, inList }

    static let givenUpAfterSeconds: Int64 = 30
    static let retryMilliseconds: [Read: Int64] = [.byID: 2, .inList: 5]

    private struct State {
        var latest: (id: UUID, at: ContinuousClock.Instant)?
        var finished = false
        var seen: [Read: [Double]] = [.byID: [], .inList: []]
        var unseen = 0
    }

    let client: HTTPClient
    let url: String
    let token: String
    private let state = Mutex(State())

    init(client: HTTPClient, url: String, token: String) {
        self.client = client
        self.url = url
        self.token = token
    }

    func acknowledged(_ id: UUID, at: ContinuousClock.Instant) {
        state.withLock { state in
            if state.latest.map({ $0.at < at }) ?? true { state.latest = (id, at) }
        }
    }

    /// No more creates will come: `run` returns once its watchers saw the last they took.
    func finish() {
        state.withLock { $0.finished = true }
    }

    func run() async throws -> Figures {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.watch(.byID) }
            group.addTask { try await self.watch(.inList) }
            try await group.waitForAll()
        }
        return state.withLock { Figures(get: Percentiles($0.seen[.byID]!), list: Percentiles($0.seen[.inList]!), unseen: $0.unseen) }
    }

    private func watch(_ read: Read) async throws {
        var watched: UUID?
        while true {
            let (next, finished) = state.withLock { ($0.latest, $0.finished) }
            guard let next, next.id != watched else {
                if finished { return }
                try await Task.sleep(for: .milliseconds(1))
                continue
            }
            watched = next.id
            let seen = try await firstSeen(next.id, read, acknowledgedAt: next.at)
            state.withLock { state in
                guard let seen else { return state.unseen += 1 }
                state.seen[read]!.append(max(0, (seen - next.at).milliseconds))
            }
        }
    }

    /// When the reader first answered with the create; nil if it did not within the bound.
    private func firstSeen(_ id: UUID, _ read: Read, acknowledgedAt: ContinuousClock.Instant) async throws -> ContinuousClock.Instant? {
        let text = id.uuidString.lowercased()
        let path = read == .byID ? "/api/v1/remittances/\(text)" : "/api/v1/remittances?limit=1&filter=id%3D\(text)"
        let deadline = acknowledgedAt + .seconds(Self.givenUpAfterSeconds)
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: url + path)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 16)
            let at = ContinuousClock.now
            switch (response.status, read) {
            case (.ok, .byID): return at
            case (.ok, .inList) where body.readableBytesView.firstRange(of: Array(text.utf8)) != nil: return at
            case (.ok, .inList), (.notFound, .byID): try await Task.sleep(for: .milliseconds(Self.retryMilliseconds[read]!))
            default: throw BenchError("the reader answered \(response.status.code) to GET \(path)")
            }
        }
        return nil
    }
}
