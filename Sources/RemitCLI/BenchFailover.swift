import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RemitReplication
import RemitWire
import RemitCore
import RemitFailover
import RemitPostgres
import RemitStack
import RemitStorage
import Synchronization

extension Bench {
    struct FailoverRuns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "failover",
            abstract: "Planned failovers back and forth, then forced ones (the writer's PostgreSQL killed), under a steady create load: runbook time, the write pause clients see, time from the writer's death to the first write, errors, creates lost."
        )

        @OptionGroup var stack: StackOptions

        @Option(help: "The router, where the load goes.")
        var routerURL = "http://127.0.0.1:8080"

        @Option(help: "Planned failovers to run, alternating between the first two regions.")
        var failovers = 6

        @Option(help: "Forced failovers after the planned ones: the writer's PostgreSQL is killed (SIGKILL), then restarted to rejoin.")
        var forcedFailovers = 1

        @Option(help: "Creates per second during the whole run.")
        var rate = 500

        @Option(help: "Seconds of load before the first failover and between failovers.")
        var settleSeconds = 2

        func validate() throws {
            guard (1...100).contains(failovers) else { throw ValidationError("--failovers must be 1 to 100") }
            guard (0...10).contains(forcedFailovers) else { throw ValidationError("--forced-failovers must be 0 to 10") }
            guard (1...5_000).contains(rate) else { throw ValidationError("--rate must be 1 to 5000") }
            guard (1...60).contains(settleSeconds) else { throw ValidationError("--settle-seconds must be 1 to 60") }
        }

        func run() async throws {
            let names = try stack.regionNames()
            guard names.count >= 2 else { throw ValidationError("failover needs two regions") }
            let password = try stack.adminPassword()
            var pools: [RegionName: PostgresPool] = [:]
            for name in names {
                pools[name] = PostgresPool(url: try stack.databaseURL(name), connectionsMax: 2, applicationName: "remit bench failover")
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let token = try await BenchSignIn.token(client: client, url: routerURL, username: "admin", password: password)
                let load = SteadyCreates(client: client, url: routerURL, token: token, rate: rate, run: UUID().uuidString.prefix(8).lowercased())
                let loading = Task { try await load.run() }
                try await Task.sleep(for: .seconds(settleSeconds))
                var runs: [(target: RegionName, runbookMilliseconds: Double, started: ContinuousClock.Instant, ended: ContinuousClock.Instant)] = []
                for _ in 0..<failovers {
                    // Towards whichever of the first two regions is not the writer now.
                    let firstIsWriter = try await RegionControl(pool: pools[names[0]]!).state().role == .writer
                    let target = firstIsWriter ? names[1] : names[0]
                    let started = ContinuousClock.now
                    _ = try await FailoverExecution(pools: pools, target: target, kind: .planned, context: IdentityTarget.auditContext).run()
                    let ended = ContinuousClock.now
                    runs.append((target, (ended - started).milliseconds, started, ended))
                    try await Task.sleep(for: .seconds(settleSeconds))
                }
                load.stop()
                try await loading.value
                let outcome = load.outcome
                // Every acknowledged create, exactly once, in every region.
                let keys = outcome.acknowledgedKeys
                var found: [RegionName: Int64] = [:]
                for name in names {
                    for _ in 0..<200 {
                        found[name] = try await pools[name]!.withConnection {
                            try $0.query("SELECT count(*) FROM events WHERE idempotency_key = ANY($1)", [PostgresArray(keys)])[0].decode(0)
                        }
                        if found[name] == Int64(keys.count) { break }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                report(runs: runs, outcome: outcome, found: found, acknowledged: keys.count)
                if forcedFailovers > 0 {
                    let drill = ForcedFailoverDrill(stack: stack, names: names, pools: pools, routerURL: routerURL, settleSeconds: settleSeconds)
                    try await forced(drill, client: client, token: token)
                }
            } catch {
                for pool in pools.values { await pool.close() }
                try? await client.shutdown()
                throw error
            }
            for pool in pools.values { await pool.close() }
            try await client.shutdown()
        }

        /// Forced failovers under a load of their own: what they acknowledge is checked against
        /// the logs and the quarantines, where the old writer's cut-off tail goes.
        func forced(_ drill: ForcedFailoverDrill, client: HTTPClient, token: String) async throws {
            let load = SteadyCreates(client: client, url: routerURL, token: token, rate: rate, run: UUID().uuidString.prefix(8).lowercased())
            let loading = Task { try await load.run() }
            let runs: [ForcedFailoverDrill.Run]
            do {
                runs = try await drill.run(count: forcedFailovers)
                try await Task.sleep(for: .seconds(settleSeconds))
            } catch {
                load.stop()
                _ = try? await loading.value
                throw error
            }
            load.stop()
            try await loading.value
            let outcome = load.outcome
            var deaths: [Double] = []
            var errorCounts: [Int] = []
            for (index, run) in runs.enumerated() {
                let first = try await drill.firstWrite(run, acknowledged: outcome.acknowledged)
                let death = first.map { ($0 - run.killedAt).milliseconds }
                let errors = outcome.errorSummary(from: run.killedAt, to: (first ?? run.killedAt) + .seconds(1))
                if let death { deaths.append(death) }
                errorCounts.append(errors.count)
                print(String(format: "forced failover %d from %@ to %@: writer death to first write %@, runbook %.0f ms (fence-or-wait %@), client errors %d%@, %lld events quarantined at rejoin",
                             index + 1, run.source.rawValue as NSString, run.target.rawValue as NSString,
                             (death.map { String(format: "%.0f ms", $0) } ?? "never") as NSString, run.runbookMilliseconds,
                             run.waitDetail as NSString, errors.count, (errors.count == 0 ? "" : " (\(errors.text))") as NSString, run.quarantined))
            }
            let lost = try await drill.lost(outcome.acknowledgedKeys)
            let sorted = deaths.sorted()
            let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            print(String(format: "%d forced failovers at %d creates/s: writer death to first write p50 %.0f ms, max %.0f ms; %d creates acknowledged, %d lost (in no log and no quarantine)",
                         runs.count, rate, p50, sorted.last ?? 0, outcome.acknowledged.count, lost))
            let json: [String: Any] = [
                "bench": "forced-failover", "failovers": runs.count, "rate": rate, "writerDeathToFirstWriteMilliseconds": deaths.map { $0.rounded() },
                "acknowledged": outcome.acknowledged.count, "lost": lost, "quarantined": runs.map(\.quarantined),
                "firstWriteMissing": runs.count - deaths.count, "clientErrors": errorCounts,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        }

        func report(
            runs: [(target: RegionName, runbookMilliseconds: Double, started: ContinuousClock.Instant, ended: ContinuousClock.Instant)],
            outcome: SteadyCreates.Outcome, found: [RegionName: Int64], acknowledged: Int
        ) {
            var pauses: [Double] = []
            let acks = outcome.acknowledgedAt
            for (index, run) in runs.enumerated() {
                // The longest gap between successful creates that touches the runbook's time.
                var pause = 0.0
                for (before, after) in zip(acks, acks.dropFirst()) where after >= run.started && before <= run.ended {
                    pause = max(pause, (after - before).milliseconds)
                }
                let errors = outcome.errorSummary(from: run.started, to: run.ended + .seconds(1))
                pauses.append(pause)
                print(String(format: "failover %d to %@: runbook %.0f ms, longest write pause %.0f ms, client errors %d%@",
                             index + 1, run.target.rawValue as NSString, run.runbookMilliseconds, pause, errors.count,
                             (errors.count == 0 ? "" : " (\(errors.text))") as NSString))
            }
            let sorted = pauses.sorted()
            let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            let lost = found.values.map { Int64(acknowledged) - $0 }.max() ?? 0
            let allErrors = outcome.errorSummary()
            print(String(format: "%d failovers at %d creates/s: write pause p50 %.0f ms, max %.0f ms; %d client errors in all%@; %d creates acknowledged, %lld lost",
                         runs.count, rate, p50, sorted.last ?? 0, allErrors.count,
                         (allErrors.count == 0 ? "" : " (\(allErrors.text))") as NSString, acknowledged, lost))
            let json: [String: Any] = [
                "bench": "failover", "failovers": runs.count, "rate": rate, "pauseP50Milliseconds": p50.rounded(),
                "pauseMaxMilliseconds": (sorted.last ?? 0).rounded(), "clientErrors": outcome.errors.count,
                "acknowledged": acknowledged, "lost": lost,
                "runbookMilliseconds": runs.map { $0.runbookMilliseconds.rounded() },
            ]
            print(String(decoding: try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}

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
