import Foundation
import Logging
import RemitCore
import RemitDomain
import RemitPostgres
import RemitReplication
import RemitSegment
import RemitStorage

/// `remit bench audit`: the auditor's tools end to end on a log of `events` events in a
/// scratch database beside a region's (creates written through the real append transaction in
/// batches, a checkpoint signed every `Limits.checkpointEventsMax` events, the views
/// projected). Measured: `remit projections rebuild`, `remit verify` (the log, the checkpoints,
/// the views against a replay), `remit replay --as-of` the head, `remit export` and
/// `remit verify --segments`; the baseline, in the same run, is reading the same log page by
/// page with no check at all.
public struct AuditBench: Sendable {
    public var events: Int
    public var databaseURL: String
    public var keep: Bool

    public init(events: Int, databaseURL: String, keep: Bool) {
        self.events = events
        self.databaseURL = databaseURL
        self.keep = keep
    }

    public func run() async throws {
        let scratch = try ScratchDatabase(name: "remit_bench_audit", beside: databaseURL, applicationName: "remit bench audit")
        let pool = PostgresPool(url: scratch.url, connectionsMax: 2, applicationName: "remit bench audit")
        do {
            try await prepare(scratch, pool)
            let head = try await RegionStore(pool: pool).headPosition()
            func timed<T>(_ body: () async throws -> T) async throws -> (T, Double) {
                let started = ContinuousClock.now
                let value = try await body()
                return (value, (ContinuousClock.now - started).milliseconds / 1_000)
            }
            func line(_ name: String, _ seconds: Double, _ detail: String = "") {
                print(String(format: "audit: %-40@ %7.1f s  %9.0f events/s%@", name as NSString, seconds, Double(head) / seconds, detail as NSString))
            }
            let (_, read) = try await timed { try await readLog(pool) }
            line("baseline: read the log, no checks", read)
            // Before `remit verify`, which then checks the rebuilt views against a replay.
            for full in [false, true] {
                let (rebuilt, rebuild) = try await timed { try await Projector.rebuild(pool: pool, full: full) { _ in } }
                line("remit projections rebuild" + (full ? " --full" : ""), rebuild, String(
                    format: "  folded and loaded %.1f s, then %@: %.1f s",
                    rebuilt.foldDuration.milliseconds / 1_000, rebuilt.replaced.summary as NSString, rebuilt.replaceDuration.milliseconds / 1_000
                ))
            }
            let (report, verify) = try await timed { try await LedgerAuditor.audit(pool) }
            guard report.ok else { throw BenchError("the bench's own log did not verify: \(String(describing: report.finding))") }
            line("remit verify (log, checkpoints, views)", verify, String(format: "  %.2f× the baseline's time; %lld checkpoints", verify / read, report.checkpointsVerified))
            let (rows, replay) = try await timed { try await LedgerReplay.remittances(pool, asOf: .position(head)) { _ in } }
            line("remit replay --as-of the head", replay, "  \(rows) remittances")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remit-bench-export-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (manifest, export) = try await timed { try await LedgerExport.export(pool, to: directory) }
            let bytes = manifest.segments.reduce(0) { $0 + $1.bytes }
            line("remit export", export, String(format: "  %d segments, %.1f MB", manifest.segments.count, Double(bytes) / 1_000_000))
            let keys = try await SigningKeyStore(pool: pool, region: "east").currentKey()
            let (offline, offlineSeconds) = try await timed {
                ExportAudit.audit(manifest, keys: [keys.kid: keys.publicKey]) { name in
                    Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
                }
            }
            guard offline.ok else { throw BenchError("the bench's export did not verify: \(String(describing: offline.finding))") }
            line("remit verify --segments", offlineSeconds)
            if !keep { try await scratch.drop() }
        } catch {
            await pool.close()
            await scratch.close()
            throw error
        }
        await pool.close()
        await scratch.close()
    }

    /// The log page by page as `remit verify` reads it, decoded, nothing checked.
    private func readLog(_ pool: PostgresPool) async throws -> Int64 {
        try await pool.withConnection { connection in
            try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.query("ROLLBACK") }
            var after: Int64 = 0, read: Int64 = 0
            while true {
                let page = try connection.query(
                    "SELECT \(LedgerReader.eventColumns) FROM events WHERE position > $1 ORDER BY position LIMIT $2", [after, Int64(Limits.verifyPageEvents)]
                ).map(LedgerReader.recordedEvent)
                guard let last = page.last else { return read }
                read += Int64(page.count)
                after = last.position
            }
        }
    }

    /// A log of `events` events: the kept one of an earlier `--keep` run if it holds as many,
    /// else a new one, written as a writer writes it and projected.
    private func prepare(_ scratch: ScratchDatabase, _ pool: PostgresPool) async throws {
        if try await scratch.exists(), (try? await RegionStore(pool: pool).headPosition()) ?? 0 >= Int64(events) {
            print("audit: the scratch database \(scratch.name) kept by an earlier run, as it is")
            return
        }
        try await scratch.create()
        try await Migrator(pool: pool).apply(try Migration.load(directory: try MigrationsDirectory.locate()))
        _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: "east")!, initialRole: .writer)
        let key = try await SigningKeyStore(pool: pool, region: "east").currentKey()
        let identity = IdentityStore(pool: pool, region: "east")
        try await identity.publishKeys()
        let started = ContinuousClock.now
        var written = try await RegionStore(pool: pool).headPosition()
        var index = 0
        while written < Int64(events) {
            let commands = (0..<min(1_000, Int(Int64(events) - written))).map { _ -> LedgerCommand in
                index += 1
                let details = RemittanceDetails(
                    senderName: "Sender \(index)", senderBank: "Bank \(index % 7)", senderAccount: "DE8937040044\(53_201_300 + index)",
                    receiverName: "Receiver \(index)", receiverBank: "Bank \(index % 11)", receiverAccount: "GB\(29_601_613_319_268 + index)",
                    amount: Int64(100 + index % 100_000), currency: ["USD", "EUR", "JPY", "GBP"][index % 4], reference: "invoice \(index)"
                )
                return .create(id: UUID(), details: details, metadata: EventMetadata(actor: "bench"))
            }
            _ = try await pool.withConnection { try LedgerWriter.append(commands, amountMax: Int64.max, on: $0) }
            _ = try await identity.signCheckpointIfDue(key: key, everyEvents: Limits.checkpointEventsMax, everyMicroseconds: Int64.max)
            written = try await RegionStore(pool: pool).headPosition()
            if index % 100_000 == 0 { print("audit: \(written) events written") }
        }
        let wrote = ContinuousClock.now
        var logger = Logger(label: "remit.bench.audit")
        logger.logLevel = .warning
        _ = try await Projector(pool: pool, logger: logger).catchUp()
        print(String(
            format: "audit: %lld events written in %.1f s, projected in %.1f s",
            written, (wrote - started).milliseconds / 1_000, (ContinuousClock.now - wrote).milliseconds / 1_000
        ))
    }
}
