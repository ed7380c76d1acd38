import AsyncHTTPClient
import Foundation
import NIOCore
import RemitCore
import RemitPostgres
import RemitStorage

/// `remit bench table`: the console's table over a large remittance table. A scratch database
/// beside a region's is filled with `rows` remittances (`TableSample`), a node in this process
/// serves it, and one client asks `TableQueryMix`'s filtered, sorted, counted pages one after
/// another, as a person at the console does, following the next-page cursor now and then.
/// Baselines in the same run: the newest-first page with no filter (what the table had before
/// filters and sorting), and a sample of the same mix without the table's indexes.
public struct TableBench: Sendable {
    public var serverURL: String
    public var region: RegionName
    public var rows: Int
    public var queries: Int
    public var keep: Bool

    public init(serverURL: String, region: RegionName, rows: Int, queries: Int, keep: Bool) {
        self.serverURL = serverURL
        self.region = region
        self.rows = rows
        self.queries = queries
        self.keep = keep
    }

    /// The mix's queries asked again without the indexes: each reads the table, so a sample.
    static let unindexedQueries = 40
    /// Pages asked before measuring, from another seed: the node's pool and caches warm up.
    static let warmUpQueries = 50

    public func run() async throws {
        let scratch = try ScratchDatabase(name: "remit_bench_table", beside: serverURL, applicationName: "remit bench table")
        let pool = PostgresPool(url: scratch.url, connectionsMax: 2, applicationName: "remit bench table")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let indexes = try await prepare(scratch, pool)
            let sizes = try await pool.withConnection { connection in
                let row = try connection.query("SELECT pg_table_size('remittances'), pg_indexes_size('remittances')")[0]
                return (table: try row.decode(0) as Int64, indexes: try row.decode(1) as Int64)
            }
            print(String(
                format: "table: %d remittances, %.0f MB of rows, %.0f MB of indexes", rows,
                Double(sizes.table) / 1_048_576, Double(sizes.indexes) / 1_048_576
            ))
            let (measured, plain, slowest) = try await BenchNode.with(region: region, databaseURL: scratch.url, key: nil, accessChecks: false) { base in
                var warmUp = TableQueryMix(seed: 7)
                for _ in 0..<Self.warmUpQueries { _ = try await ask(client, base, warmUp.next().parameters) }
                var plain: [Double] = []
                for _ in 0..<200 { plain.append(try await ask(client, base, "limit=50&count=true").milliseconds) }
                var mix = TableQueryMix(), follow = SplitMix64(seed: 3)
                var samples: [String: [Double]] = [:], slowest: [(Double, String)] = []
                for _ in 0..<queries {
                    let query = mix.next()
                    let page = try await ask(client, base, query.parameters)
                    samples[query.shape, default: []].append(page.milliseconds)
                    slowest.append((page.milliseconds, query.parameters))
                    // A third of the time the person pages on.
                    if let cursor = page.nextCursor, follow.unit() < 0.33 {
                        let next = query.parameters + "&cursor=" + TableQueryMix.encode(cursor)
                        let nextPage = try await ask(client, base, next)
                        samples["next page", default: []].append(nextPage.milliseconds)
                        slowest.append((nextPage.milliseconds, next))
                    }
                }
                return (samples, plain, Array(slowest.sorted { $0.0 > $1.0 }.prefix(5)))
            }
            report(measured, plain: plain, slowest: slowest)
            try await measureWithoutIndexes(indexes, scratch: scratch, pool: pool, client: client)
            if !keep { try await scratch.drop() }
        } catch {
            try? await client.shutdown()
            await pool.close()
            await scratch.close()
            throw error
        }
        try await client.shutdown()
        await pool.close()
        await scratch.close()
    }

    /// A migrated scratch database holding `rows` remittances; one kept from an earlier run with
    /// `--keep` is used as it is when it holds as many. Returns the table's own indexes (not
    /// those of its constraints) as their definitions.
    private func prepare(_ scratch: ScratchDatabase, _ pool: PostgresPool) async throws -> [String: String] {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        func indexes() async throws -> [String: String] {
            try await pool.withConnection { connection in
                var found: [String: String] = [:]
                for row in try connection.query("""
                    SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'remittances'
                      AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'remittances'::regclass)
                    """) {
                    found[try row.decode(0)] = try row.decode(1)
                }
                return found
            }
        }
        if try await scratch.exists(), try await holdsTable(scratch, migrations) {
            print("table: the scratch database \(scratch.name) kept by an earlier run, as it is")
            return try await indexes()
        }
        try await scratch.create()
        try await Migrator(pool: pool).apply(migrations)
        let definitions = try await indexes()
        let started = ContinuousClock.now
        // Loading first and indexing after is several times faster than indexing row by row.
        try await pool.withConnection { connection in
            for name in definitions.keys { try connection.query("DROP INDEX \(try connection.quoteIdentifier(name))") }
            try connection.query("SELECT setseed(0.42)")
            try connection.query(TableSample.loadSQL, [
                PostgresArray(TableSample.firstNames), PostgresArray(TableSample.lastNames), PostgresArray(TableSample.banks),
                PostgresArray(TableSample.currencies), Int64(rows),
            ])
        }
        let loaded = ContinuousClock.now
        try await createIndexes(definitions, pool)
        print(String(
            format: "table: loaded in %.1f s, indexed in %.1f s (%d indexes)",
            (loaded - started).milliseconds / 1_000, (ContinuousClock.now - loaded).milliseconds / 1_000, definitions.count
        ))
        return definitions
    }

    /// Whether a kept scratch database is migrated and holds `rows` remittances; asked on a
    /// connection of its own, closed before the database may be dropped and made again.
    private func holdsTable(_ scratch: ScratchDatabase, _ migrations: [Migration]) async throws -> Bool {
        let check = PostgresPool(url: scratch.url, connectionsMax: 1, applicationName: "remit bench table")
        do {
            var holds = try await Migrator(pool: check).status(migrations).pending.isEmpty
            if holds {
                holds = try await check.withConnection { try $0.query("SELECT count(*) FROM remittances")[0].decode(0) as Int64 } == Int64(rows)
            }
            await check.close()
            return holds
        } catch {
            await check.close()
            throw error
        }
    }

    private func createIndexes(_ definitions: [String: String], _ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            try connection.query("SET maintenance_work_mem = '256MB'")
            for definition in definitions.values.sorted() { try connection.query(definition) }
            // As a table that autovacuum has seen: hint bits set, the visibility map written.
            try connection.query("VACUUM (ANALYZE) remittances")
        }
    }

    private func report(_ samples: [String: [Double]], plain: [Double], slowest: [(Double, String)]) {
        let all = Percentiles(samples.values.flatMap { $0 })
        let baseline = Percentiles(plain)
        print(String(format: "baseline, newest first, no filter, counted (%d pages): p50 %.1f ms, p99 %.1f ms", baseline.count, baseline.at(0.5), baseline.at(0.99)))
        for shape in samples.keys.sorted() {
            let figures = Percentiles(samples[shape]!)
            print("  " + shape.padding(toLength: 10, withPad: " ", startingAt: 0) + String(
                format: " %5d pages: p50 %6.1f ms, p99 %6.1f ms, max %6.1f ms", figures.count, figures.at(0.5), figures.at(0.99), figures.max
            ))
        }
        print(String(
            format: "filtered, sorted, counted pages (%d): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
            all.count, all.at(0.5), all.at(0.9), all.at(0.99), all.max
        ))
        print("slowest:")
        for (milliseconds, parameters) in slowest { print(String(format: "  %6.1f ms  ?", milliseconds) + parameters) }
    }

    /// The first queries of the same mix with the table's indexes dropped: what the indexes buy.
    private func measureWithoutIndexes(_ definitions: [String: String], scratch: ScratchDatabase, pool: PostgresPool, client: HTTPClient) async throws {
        try await pool.withConnection { connection in
            for name in definitions.keys { try connection.query("DROP INDEX \(try connection.quoteIdentifier(name))") }
        }
        let samples = try await BenchNode.with(region: region, databaseURL: scratch.url, key: nil, accessChecks: false) { base in
            var mix = TableQueryMix()
            var samples: [Double] = []
            for _ in 0..<Self.unindexedQueries { samples.append(try await ask(client, base, mix.next().parameters).milliseconds) }
            return samples
        }
        let figures = Percentiles(samples)
        print(String(
            format: "without the table's indexes, the mix's first %d pages: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
            figures.count, figures.at(0.5), figures.at(0.99), figures.max
        ))
        if keep { try await createIndexes(definitions, pool) }
    }

    struct Page { var milliseconds: Double, nextCursor: String? }

    /// One page, timed from sending the request to the last byte of the answer.
    private func ask(_ client: HTTPClient, _ base: String, _ parameters: String) async throws -> Page {
        let request = HTTPClientRequest(url: base + "/api/v1/remittances?" + parameters)
        // A node that has just started may not be ready yet (503): retry briefly.
        for _ in 0..<50 {
            let started = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
            let elapsed = (ContinuousClock.now - started).milliseconds
            if response.status == .ok {
                struct Body: Decodable { var nextCursor: String? }
                return Page(milliseconds: elapsed, nextCursor: try JSONDecoder().decode(Body.self, from: Data(buffer: body)).nextCursor)
            }
            guard response.status == .serviceUnavailable else {
                throw BenchError("GET /api/v1/remittances?\(parameters) answered \(response.status.code): \(String(buffer: body))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the benchmark's node did not become ready")
    }
}
