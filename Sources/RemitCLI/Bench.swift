import ArgumentParser
import Foundation
import RemitBench
import RemitCore
import RemitStack
import RemitWire

/// `remit bench`: the options of each benchmark; the benchmarks themselves are in RemitBench.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print their figures, measured against a baseline in the same run.",
        subcommands: [Append.self, Replication.self, FailoverRuns.self, Table.self, VerifyChain.self, Audit.self]
    )

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Durable creates per second through a region's HTTP API, against PostgreSQL's single-row INSERT ceiling."
        )

        @Option(help: "Base URL of the writer region's node (or the router).")
        var url = "http://127.0.0.1:8081"

        @Option(help: "Concurrent clients (default 64; 4 with --batch).")
        var clients: Int?

        @Option(help: "Send creates in batches of this many (POST /api/v1/remittance-batches), against PostgreSQL COPY of the same rows.")
        var batch: Int?

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
            guard clients.map({ (1...1_024).contains($0) }) ?? true else { throw ValidationError("--clients must be 1 to 1024") }
            guard batch.map({ (1...Limits.batchItemsMax).contains($0) }) ?? true else {
                throw ValidationError("--batch must be 1 to \(Limits.batchItemsMax)")
            }
            // Each measurement signs in afresh; its access token must outlive it.
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600") }
            guard generator == nil || generator == "wrk" || generator == "swift" else {
                throw ValidationError("--generator must be wrk or swift")
            }
            if generator == "wrk" && WrkLoad.executable == nil { throw ValidationError("wrk is not installed; run tools/setup") }
        }

        func run() async throws {
            let region = try stack.regionNames()[0]
            if let batch {
                return try await BatchAppendBench(
                    url: url, clients: clients ?? 4, seconds: seconds, batch: batch, databaseURL: try databaseURL ?? stack.databaseURL(region),
                    username: username, password: try stack.adminPassword(from: passwordFile)
                ).run()
            }
            try await AppendBench(
                url: url, clients: clients ?? 64, seconds: seconds, databaseURL: try databaseURL ?? stack.databaseURL(region), region: region,
                generator: generator, username: username, password: try stack.adminPassword(from: passwordFile),
                key: (try? String(contentsOfFile: EmbeddedStack.replicationKeyFile(dataDirectory: stack.absoluteDataDirectory), encoding: .utf8))
                    .flatMap { ReplicationKey(hex: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            ).run()
        }
    }

    struct Replication: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replication lag end to end, bytes shipped per event against PostgreSQL's WAL, and catch-up speed."
        )

        @OptionGroup var stack: StackOptions

        @Option(help: "The writer region's node.")
        var writerURL = "http://127.0.0.1:8081"

        @Option(help: "The reader region's node (for its replication figures).")
        var readerURL = "http://127.0.0.1:8082"

        @Option(help: "Creates per second in the steady phase (lag is measured on each).")
        var rate = 1_000

        @Option(help: "Seconds of the steady and of the full-speed phase.")
        var seconds = 10

        @Option(help: "Concurrent clients in the full-speed phase.")
        var clients = 64

        @Option(help: "Events a fresh reader catches up on (at most what the writer's log holds).")
        var catchUpEvents = 1_000_000

        func validate() throws {
            guard (1...20_000).contains(rate) else { throw ValidationError("--rate must be 1 to 20000") }
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 600") }
            guard (1...1_024).contains(clients) else { throw ValidationError("--clients must be 1 to 1024") }
            guard catchUpEvents > 0 else { throw ValidationError("--catch-up-events must be positive") }
        }

        func run() async throws {
            let regions = try stack.regionNames()
            guard regions.count >= 2 else { throw ValidationError("replication needs two regions") }
            let keyFile = EmbeddedStack.replicationKeyFile(dataDirectory: stack.absoluteDataDirectory)
            guard let keyHex = try? String(contentsOfFile: keyFile, encoding: .utf8), let key = ReplicationKey(hex: keyHex) else {
                throw ValidationError("no replication key in \(keyFile): start the stack with remit up")
            }
            try await ReplicationBench(
                writerURL: writerURL, readerURL: readerURL, writerDatabaseURL: try stack.databaseURL(regions[0]),
                readerDatabaseURL: try stack.databaseURL(regions[1]), readerRegion: regions[1], key: key, password: try stack.adminPassword(),
                rate: rate, seconds: seconds, clients: clients, catchUpEvents: catchUpEvents,
                metricsToken: try? String(contentsOfFile: EmbeddedStack.metricsTokenFile(dataDirectory: stack.absoluteDataDirectory), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            ).run()
        }
    }

    struct FailoverRuns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "failover",
            abstract: "Planned failovers back and forth, then forced ones (the writer's PostgreSQL killed), under a steady create load: runbook time, the write pause clients see, time from the writer's death to the first write, errors, creates lost."
        )

        @OptionGroup var stack: StackOptions

        @Option(help: "A router; the load goes to the first, the forced failovers ask each (default: remit up's two).")
        var routerUrl: [String] = ["http://127.0.0.1:8080", "http://127.0.0.1:8090"]

        @OptionGroup var lease: LeaseOption

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
            guard (0...50).contains(forcedFailovers) else { throw ValidationError("--forced-failovers must be 0 to 50") }
            guard !routerUrl.isEmpty else { throw ValidationError("name at least one --router-url") }
            guard (1...5_000).contains(rate) else { throw ValidationError("--rate must be 1 to 5000") }
            guard (1...60).contains(settleSeconds) else { throw ValidationError("--settle-seconds must be 1 to 60") }
        }

        func run() async throws {
            let names = try stack.regionNames()
            guard names.count >= 2 else { throw ValidationError("failover needs two regions") }
            var databaseURLs: [RegionName: String] = [:]
            for name in names { databaseURLs[name] = try stack.databaseURL(name) }
            try await FailoverBench(
                names: names, databaseURLs: databaseURLs, clusters: try clusters(stack), password: try stack.adminPassword(),
                routerURLs: routerUrl, leaseMilliseconds: lease.leaseMilliseconds, failovers: failovers, forcedFailovers: forcedFailovers,
                rate: rate, settleSeconds: settleSeconds,
                context: IdentityTarget.auditContext
            ).run()
        }
    }

    struct Table: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The console's table over many remittances: filtered, sorted, counted pages, against the unfiltered page and the table without its indexes."
        )

        @OptionGroup var stack: StackOptions

        @Option(help: "Remittances in the table (loaded into a scratch database beside the first region's).")
        var rows = 1_000_000

        @Option(help: "Pages asked (besides the next pages followed).")
        var queries = 1_000

        @Flag(help: "Keep the scratch database for the next run, which then skips loading it.")
        var keep = false

        func validate() throws {
            guard (1...100_000_000).contains(rows) else { throw ValidationError("--rows must be 1 to 100000000") }
            guard (1...1_000_000).contains(queries) else { throw ValidationError("--queries must be 1 to 1000000") }
        }

        func run() async throws {
            let region = try stack.regionNames()[0]
            try await TableBench(serverURL: try stack.databaseURL(region), region: region, rows: rows, queries: queries, keep: keep).run()
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "remit verify, replay, export and verify --segments of a large log in a scratch database, against reading the log alone."
        )

        @Option(help: "Events in the log (written first, through the append transaction).")
        var events = 1_000_000

        @Option(help: "A database on the cluster to make the scratch database on. Default: the first region's in --data-dir.")
        var databaseURL: String?

        @Flag(help: "Keep the scratch database (remit_bench_audit) for the next run.")
        var keep = false

        @OptionGroup var stack: StackOptions

        func validate() throws {
            guard (1_000...10_000_000).contains(events) else { throw ValidationError("--events must be 1000 to 10000000") }
        }

        func run() async throws {
            try await AuditBench(events: events, databaseURL: try databaseURL ?? stack.databaseURL(try stack.regionNames()[0]), keep: keep).run()
        }
    }

    struct VerifyChain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "The auditor's hash-chain check on one core, in memory, against plain SHA-256 over the same bytes."
        )

        @Option(help: "Events in the log checked (built in memory first).")
        var events = 200_000

        @Option(help: "Times the log is checked (and hashed for the baseline).")
        var passes = 5

        func validate() throws {
            guard (2...5_000_000).contains(events) else { throw ValidationError("--events must be 2 to 5000000") }
            guard (1...1_000).contains(passes) else { throw ValidationError("--passes must be 1 to 1000") }
        }

        func run() async throws {
            print("bench verify: sealing a log of \(events) events in memory")
            let result = VerifyBench(events: events, passes: passes).run()
            let events = Double(result.events * passes)
            print(String(format: "hash-chain verification (LogAudit): %.0f events/s on one core (%.0f events checked)", result.auditEventsPerSecond, events))
            print(String(format: "baseline, plain SHA-256 over the same bytes: %.0f events/s, %.0f MB/s (%.0f bytes per event)",
                         result.sha256EventsPerSecond, result.sha256MegabytesPerSecond, result.bytesPerEvent))
            print(String(format: "ratio: %.2f× of plain SHA-256", result.auditEventsPerSecond / result.sha256EventsPerSecond))
        }
    }
}
