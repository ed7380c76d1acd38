import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RemitFailover
import RemitReplication
import RemitWire
import RemitPostgres
import RemitStack

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print their figures, measured against a baseline in the same run.",
        subcommands: [Append.self, Replication.self, FailoverRuns.self]
    )

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Durable creates per second through a region's HTTP API, against PostgreSQL's single-row INSERT ceiling."
        )

        @Option(help: "Base URL of the writer region's node (or the router).")
        var url = "http://127.0.0.1:8081"

        @Option(help: "Concurrent clients.")
        var clients = 64

        @Option(help: "Seconds each measurement runs.")
        var seconds = 10

        @Option(help: "The writer's database, for the baseline and the batch sizes. Default: the first region's in --data-dir.")
        var databaseURL: String?

        @OptionGroup var stack: StackOptions

        @Option(help: "Load generator: wrk (C, light on the CPU the server needs; the default when installed) or swift (in-process).")
        var generator: String?

        @Option(help: "The user the load signs in as (needs the clerk role).")
        var username = "admin"

        @Option(help: "File holding that user's password. Default: <data-dir>/admin-password, written by remit up.")
        var passwordFile: String?

        func validate() throws {
            guard (1...1_024).contains(clients) else { throw ValidationError("--clients must be 1 to 1024") }
            // Each measurement signs in afresh; its access token must outlive it.
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600") }
            guard generator == nil || generator == "wrk" || generator == "swift" else {
                throw ValidationError("--generator must be wrk or swift")
            }
            if generator == "wrk" && WrkLoad.executable == nil { throw ValidationError("wrk is not installed; run tools/setup") }
        }

        func run() async throws {
            let database = try databaseURL
                ?? stack.databaseURL(stack.regionNames()[0])
            let password = try stack.adminPassword(from: passwordFile)
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients))
            )
            let pool = PostgresPool(url: database, connectionsMax: min(clients, 64), applicationName: "remit bench")
            do {
                let useWrk = (generator ?? (WrkLoad.executable == nil ? "swift" : "wrk")) == "wrk"
                let signIn: @Sendable (String) async throws -> String = { base in try await BenchSignIn.token(client: client, url: base, username: username, password: password) }
                var api = try await measure(pool: pool, client: client, url: url, token: try await signIn(url), useWrk: useWrk)
                let batch = try await averageBatch(pool, after: api.startPosition, through: api.endPosition)
                let refusedCeiling = useWrk
                    ? try WrkLoad(url: url, clients: clients, seconds: seconds, script: WrkLoad.refusedCreateScript(token: try await signIn(url))).run().perSecond
                    : nil
                // What checking tokens costs: nodes in this process on the same database, with
                // access checks off and on, measured alternately (off, on, on, off) so that the
                // log growing during the run favours neither.
                let region = try stack.regionNames()[0]
                var unchecked: [AppendLoad.Result] = [], checked: [AppendLoad.Result] = []
                for accessChecks in [false, true, true, false] {
                    let result = try await BenchNode.with(region: region, databaseURL: database, accessChecks: accessChecks) { base in
                        try await measure(pool: pool, client: client, url: base, token: accessChecks ? try await signIn(base) : nil, useWrk: useWrk).result
                    }
                    if accessChecks { checked.append(result) } else { unchecked.append(result) }
                }
                let baseline = try await InsertBaseline(pool: pool, clients: min(clients, 64), seconds: seconds).run()
                api.result.generator = useWrk ? "wrk" : "swift"
                report(api: api.result, batch: batch, baseline: baseline, refusedCeiling: refusedCeiling, unchecked: unchecked, checked: checked)
            } catch {
                await pool.close()
                try? await client.shutdown()
                throw error
            }
            await pool.close()
            try await client.shutdown()
        }

        /// One measurement of creates against `url`; durable creates are what the log gained,
        /// whatever the load generator counted.
        private func measure(
            pool: PostgresPool, client: HTTPClient, url: String, token: String?, useWrk: Bool
        ) async throws -> (result: AppendLoad.Result, startPosition: Int64, endPosition: Int64) {
            let startPosition = try await headPosition(pool)
            let started = ContinuousClock.now
            var result = useWrk
                ? try WrkLoad(url: url, clients: clients, seconds: seconds, script: WrkLoad.createScript(token: token)).run()
                : try await AppendLoad(client: client, url: url, token: token, clients: clients, seconds: seconds).run()
            let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
            let endPosition = try await headPosition(pool)
            result.perSecond = Double(endPosition - startPosition) / elapsed
            result.generator = useWrk ? "wrk" : "swift"
            return (result, startPosition, endPosition)
        }

        private func headPosition(_ pool: PostgresPool) async throws -> Int64 {
            try await pool.withConnection { try $0.query("SELECT head_position FROM region_state")[0].decode(0) }
        }

        /// Events per commit: every event of one append transaction carries the same
        /// recorded-at time (the database clock is read once per batch).
        private func averageBatch(_ pool: PostgresPool, after: Int64, through: Int64) async throws -> Double {
            try await pool.withConnection { connection in
                let row = try connection.query(
                    "SELECT count(*), count(DISTINCT recorded_at_us) FROM events WHERE position > $1 AND position <= $2",
                    [after, through]
                )[0]
                let events: Int64 = try row.decode(0), commits: Int64 = try row.decode(1)
                return commits == 0 ? 0 : Double(events) / Double(commits)
            }
        }

        private func report(
            api: AppendLoad.Result, batch: Double, baseline: Double, refusedCeiling: Double?,
            unchecked: [AppendLoad.Result], checked: [AppendLoad.Result]
        ) {
            let ratio = baseline > 0 ? api.perSecond / baseline : 0
            let uncheckedPerSecond = unchecked.map(\.perSecond).reduce(0, +) / Double(unchecked.count)
            let checkedPerSecond = checked.map(\.perSecond).reduce(0, +) / Double(checked.count)
            let authRatio = uncheckedPerSecond > 0 ? checkedPerSecond / uncheckedPerSecond : 0
            let each = { (results: [AppendLoad.Result]) in results.map { String(format: "%.0f", $0.perSecond) }.joined(separator: " and ") }
            print(String(
                format: "append (authenticated): %.0f durable creates/s (%d clients, %d s, %@), p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.1f events/commit, %d errors; PostgreSQL single-row INSERT ceiling %.0f tx/s; ratio %.2fx",
                api.perSecond, clients, seconds, api.generator, api.p50Milliseconds, api.p99Milliseconds, api.maxMilliseconds, batch, api.errors, baseline, ratio
            ) + (refusedCeiling.map { String(format: "; the node answers refused creates (422, no database) at %.0f req/s", $0) } ?? ""))
            print(String(
                format: "authentication: %.0f creates/s with token checks (%@) vs %.0f without (%@), in-process nodes on the same database: %.2fx",
                checkedPerSecond, each(checked), uncheckedPerSecond, each(unchecked), authRatio
            ))
            var json: [String: Any] = [
                "bench": "append", "clients": clients, "seconds": seconds, "generator": api.generator, "createsPerSecond": api.perSecond.rounded(),
                "p50Milliseconds": api.p50Milliseconds, "p99Milliseconds": api.p99Milliseconds, "maxMilliseconds": api.maxMilliseconds,
                "eventsPerCommit": (batch * 10).rounded() / 10, "errors": api.errors, "insertBaselinePerSecond": baseline.rounded(),
                "ratio": (ratio * 100).rounded() / 100, "authenticated": true,
                "authCheckedPerSecond": checkedPerSecond.rounded(), "authUncheckedPerSecond": uncheckedPerSecond.rounded(),
                "authRatio": (authRatio * 100).rounded() / 100,
            ]
            if let refusedCeiling { json["refusedCreatesPerSecond"] = refusedCeiling.rounded() }
            let data = try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// N clients creating remittances (each with its own idempotency key) as fast as they can.
struct AppendLoad {
    struct Result {
        var perSecond: Double
        let p50Milliseconds: Double
        let p99Milliseconds: Double
        let maxMilliseconds: Double
        let errors: Int
        var generator = "swift"
    }

    let client: HTTPClient
    let url: String
    let token: String?
    let clients: Int
    let seconds: Int

    func run() async throws -> Result {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let perClient = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for clientIndex in 0..<clients {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    var sequence = 0
                    while ContinuousClock.now < deadline {
                        sequence += 1
                        var request = HTTPClientRequest(url: url + "/api/v1/remittances")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Idempotency-Key", value: "bench-\(UUID().uuidString)")
                        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                        request.body = .bytes(ByteBuffer(string: Self.body(clientIndex, sequence)))
                        let sent = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            if response.status == .created {
                                latencies.append((ContinuousClock.now - sent).milliseconds)
                            } else {
                                errors += 1
                            }
                        } catch {
                            errors += 1
                        }
                    }
                    return (latencies, errors)
                }
            }
            return try await group.reduce(into: [([Double], Int)]()) { $0.append($1) }
        }
        let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
        let latencies = perClient.flatMap(\.0).sorted()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return Result(
            perSecond: Double(latencies.count) / elapsed, p50Milliseconds: percentile(0.50), p99Milliseconds: percentile(0.99),
            maxMilliseconds: latencies.last ?? 0, errors: perClient.map(\.1).reduce(0, +)
        )
    }

    static func body(_ client: Int, _ sequence: Int) -> String {
        #"{"senderName":"Bench Sender \#(client)","senderBank":"Bank \#(client % 7)","senderAccount":"ACC\#(client)","receiverName":"Receiver \#(sequence)","receiverBank":"Bank \#(sequence % 5)","receiverAccount":"RCV\#(sequence)","amount":\#(1_000 + sequence),"currency":"USD","reference":"bench"}"#
    }
}

/// The same load from wrk: one request per create, each with a fresh idempotency key made by
/// a Lua script. wrk is C and uses little of the CPU the server under test needs.
struct WrkLoad {
    let url: String
    let clients: Int
    let seconds: Int
    var script: String

    static var executable: String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The same route with a body the node refuses at once (422: no queue, no database): the
    /// node's own HTTP ceiling for this route on this machine, measured for comparison.
    static func refusedCreateScript(token: String?) -> String {
        """
        wrk.method = "POST"
        wrk.body = '{"senderName":"Bench Sender"}'
        wrk.headers["Content-Type"] = "application/json"
        \(token.map { "wrk.headers[\"Authorization\"] = \"Bearer \($0)\"" } ?? "")
        request = function() return wrk.format(nil, "/api/v1/remittances") end
        """
    }

    /// A token is only ever base64url and dots, so it goes into the Lua string as it is.
    static func createScript(token: String?) -> String {
        """
        -- Every wrk thread has its own Lua state: setup gives each a distinct id, so that no two
        -- requests share an idempotency key (a shared key would be an idempotent repeat, not a create).
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("thread_id", threads)
        end
        local run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
        local counter = 0
        request = function()
          counter = counter + 1
          local key = "bench-" .. run .. "-" .. tostring(thread_id) .. "-" .. counter
          local body = '{"senderName":"Bench Sender","senderBank":"Bank ' .. (counter % 7) .. '","senderAccount":"ACC1",' ..
            '"receiverName":"Receiver ' .. counter .. '","receiverBank":"Bank ' .. (counter % 5) .. '","receiverAccount":"RCV' .. counter .. '",' ..
            '"amount":' .. (1000 + counter) .. ',"currency":"USD","reference":"bench"}'
          return wrk.format("POST", "/api/v1/remittances", {["Content-Type"] = "application/json", ["Idempotency-Key"] = key\(token.map { #", ["Authorization"] = "Bearer \#($0)""# } ?? "")}, body)
        end
        """
    }

    func run() throws -> AppendLoad.Result {
        let scriptPath = FileManager.default.temporaryDirectory.appendingPathComponent("remit-bench-\(UUID().uuidString).lua").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable!)
        process.arguments = ["-t", "2", "-c", String(clients), "-d", "\(seconds)s", "--latency", "-s", scriptPath, url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("wrk failed: \(output)") }
        func latency(_ label: String) -> Double {
            guard let line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else { return 0 }
            return Self.milliseconds(String(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        }
        // "Latency   7.71ms  2.55ms  39.08ms  77.83%": the fourth field is the maximum.
        let maximum = output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Latency ") }
            .map { Self.milliseconds(String($0.split(separator: " ", omittingEmptySubsequences: true)[3])) } ?? 0
        let failures = output.split(separator: "\n").first { $0.contains("Non-2xx or 3xx responses:") }
            .flatMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) } ?? 0
        let socketErrors = output.split(separator: "\n").first { $0.contains("Socket errors:") }.map { line in
            line.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
        } ?? 0
        let requests = output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
            .flatMap { Double($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) } ?? 0
        return AppendLoad.Result(
            perSecond: requests, p50Milliseconds: latency("50%"), p99Milliseconds: latency("99%"), maxMilliseconds: maximum,
            errors: failures + socketErrors, generator: "wrk"
        )
    }

    /// wrk writes durations as 850.00us, 7.36ms or 1.02s.
    static func milliseconds(_ text: String) -> Double {
        for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1_000.0), ("m", 60_000.0)] where text.hasSuffix(suffix) {
            return (Double(text.dropLast(suffix.count)) ?? 0) * scale
        }
        return Double(text) ?? 0
    }
}

/// PostgreSQL's own ceiling here: single-row INSERT transactions (each its own durable commit)
/// from N connections, rows the size of an event.
struct InsertBaseline {
    let pool: PostgresPool
    let clients: Int
    let seconds: Int

    func run() async throws -> Double {
        try await pool.withConnection { connection in
            try connection.execute(script: "DROP TABLE IF EXISTS remit_bench_baseline; CREATE TABLE remit_bench_baseline (id bigserial PRIMARY KEY, payload bytea NOT NULL, at timestamptz NOT NULL DEFAULT now())")
        }
        let payload = [UInt8](repeating: 0x61, count: 400)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    try await pool.withConnection { connection in
                        var count = 0
                        while ContinuousClock.now < deadline {
                            try connection.query("INSERT INTO remit_bench_baseline (payload) VALUES ($1)", [payload])
                            count += 1
                        }
                        return count
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = (ContinuousClock.now - started).milliseconds / 1_000
        try await pool.withConnection { try $0.execute(script: "DROP TABLE remit_bench_baseline") }
        return Double(counts) / elapsed
    }
}

