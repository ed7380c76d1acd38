import Foundation

/// The same load from wrk: one request per create, each with a fresh idempotency key made by
/// a Lua script. wrk is C and uses little of the CPU the server under test needs.
public struct WrkLoad {
    let url: String
    let clients: Int
    let seconds: Int
    var script: String

    public static var executable: String? {
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

    /// `GET /healthz`: the node's HTTP ceiling with no body, no token and no database.
    static let healthScript = """
        request = function() return wrk.format("GET", "/healthz") end
        """

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
        let (status, output) = try LoadTool.run(
            Self.executable!, ["-t", "2", "-c", String(clients), "-d", "\(seconds)s", "--latency", "-s", scriptPath, url]
        )
        guard status == 0 else { throw BenchError("wrk failed: \(output)") }
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
