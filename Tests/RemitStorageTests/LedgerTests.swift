import Foundation
import Logging
import RemitCore
import RemitDomain
import RemitPostgres
import RemitTestSupport
import Testing
@testable import RemitStorage

let details = RemittanceDetails(
    senderName: "Alice", senderBank: "First Bank", senderAccount: "111", receiverName: "Bob",
    receiverBank: "Second Bank", receiverAccount: "222", amount: 10_000, currency: "USD", reference: nil
)

/// A migrated database claimed by region east as the writer, with an appender running.
func withLedger(_ body: @escaping @Sendable (PostgresPool, Appender) async throws -> Void) async throws {
    let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
    try await withFreshPool(connectionsMax: 4) { pool, _ in
        try await Migrator(pool: pool).apply(migrations)
        _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: "east")!, initialRole: .writer)
        let appender = Appender(pool: pool, amountMax: 1_000_000_000, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await appender.run() }
            defer { group.cancelAll() }
            try await body(pool, appender)
        }
    }
}

func create(_ appender: Appender, key: String? = nil, amount: Int64 = 10_000) async throws -> Result<LedgerOutcome, DomainError> {
    var request = details
    request.amount = amount
    let metadata = EventMetadata(actor: "test", idempotencyKey: key, requestHash: key.map { _ in request.fingerprint })
    return try await appender.submit(.create(id: UUID(), details: request, metadata: metadata), bytes: 200)
}

func allEvents(_ pool: PostgresPool) async throws -> [RecordedEvent] {
    try await LedgerReader(pool: pool).events(after: 0, limit: 100_000)
}

@Suite("event log")
struct LedgerTests {
    @Test("the first event is EpochStarted(1, east); a create is appended after it and reads back")
    func appendAndRead() async throws {
        try await withLedger { pool, appender in
            let outcome = try await create(appender).get()
            #expect(outcome.position == 2 && !outcome.isRepeat)
            let events = try await allEvents(pool)
            #expect(events.map(\.type) == ["EpochStarted", "RemittanceCreated"])
            guard case .epochStarted(let started) = try events[0].event() else {
                Issue.record("the first event must be EpochStarted")
                return
            }
            #expect(started == EpochStarted(epoch: 1, writer: "east", afterPosition: 0, previousHash: LedgerFormat.genesisHash.hex))
            #expect(try events[1].event() == .remittanceCreated(details))
            #expect(events[1].streamID == outcome.remittance.id)
            let fromLog = try await LedgerReader(pool: pool).remittanceFromLog(outcome.remittance.id)
            #expect(fromLog == outcome.remittance)
        }
    }

    @Test("concurrent creates from many tasks leave gap-free positions and a valid chain")
    func concurrentCreates() async throws {
        try await withLedger { pool, appender in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask { for _ in 0..<10 { _ = try await create(appender).get() } }
                }
                try await group.waitForAll()
            }
            let events = try await allEvents(pool)
            #expect(events.count == 401)
            #expect(events.map(\.position) == Array(1...401))
            #expect((try? LedgerFormat.verify(events, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0).get()) != nil)
            let head = try await RegionStore(pool: pool).current()!
            #expect(head.headPosition == 401 && head.headHash == events.last!.hash)
            #expect(appender.statistics.largestBatch > 1, "group commit should have batched concurrent creates")
        }
    }

    @Test("two nodes of one region (two appenders, two pools) append safely side by side")
    func twoNodes() async throws {
        try await withLedger { pool, appender in
            let url = try await currentDatabaseURL(pool)
            let otherPool = PostgresPool(url: url, connectionsMax: 2, applicationName: "second node")
            let other = Appender(pool: otherPool, amountMax: 1_000_000_000, logger: Logger(label: "second"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await other.run() }
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    for index in 0..<20 {
                        let target = index % 2 == 0 ? appender : other
                        writers.addTask {
                            for round in 0..<10 { _ = try await create(target, key: "node-\(index)-\(round)").get() }
                        }
                    }
                    // The same keys again, through the other node: repeats, never second remittances.
                    try await writers.waitForAll()
                    for index in 0..<20 {
                        let target = index % 2 == 0 ? other : appender
                        writers.addTask {
                            let outcome = try await create(target, key: "node-\(index)-0").get()
                            #expect(outcome.isRepeat)
                        }
                    }
                    try await writers.waitForAll()
                }
                group.cancelAll()
            }
            await otherPool.close()
            let events = try await allEvents(pool)
            #expect(events.count == 201)
            #expect(events.map(\.position) == Array(1...201))
            #expect((try? LedgerFormat.verify(events, previousPosition: 0, previousHash: LedgerFormat.genesisHash, previousEpoch: 0).get()) != nil)
        }
    }

    @Test("the database refuses UPDATE, DELETE and TRUNCATE on the log")
    func immutable() async throws {
        try await withLedger { pool, appender in
            _ = try await create(appender).get()
            for statement in ["UPDATE events SET event_type = 'X'", "DELETE FROM events", "TRUNCATE events"] {
                let error = try await #require(throws: PostgresError.self, "\(statement)") {
                    try await pool.withConnection { try $0.query(statement) }
                }
                #expect(error.message.contains("append-only"))
            }
            #expect(try await allEvents(pool).count == 2)
        }
    }

    @Test("idempotency: the same key and body return the original; another body is refused")
    func idempotency() async throws {
        try await withLedger { pool, appender in
            let first = try await create(appender, key: "key-1").get()
            let again = try await create(appender, key: "key-1").get()
            #expect(again.isRepeat && again.remittance == first.remittance && again.position == nil)
            #expect(try await create(appender, key: "key-1", amount: 99) == .failure(.idempotencyKeyReused("key-1")))
            #expect(try await allEvents(pool).count == 2)
        }
    }

    @Test("concurrent duplicates of one key create exactly one remittance")
    func concurrentDuplicates() async throws {
        try await withLedger { pool, appender in
            let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
                for _ in 0..<30 { group.addTask { try await create(appender, key: "same").get().remittance.id } }
                return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await allEvents(pool).filter { $0.type == "RemittanceCreated" }.count == 1)
        }
    }

    @Test("a stale version in a batch is refused without affecting the rest of the batch")
    func staleVersionInBatch() async throws {
        try await withLedger { pool, appender in
            let id = try await create(appender).get().remittance.id
            let metadata = EventMetadata(actor: "test")
            let outcomes = try await pool.withConnection { connection in
                try LedgerWriter.append([
                    .amend(id: id, expectedVersion: 1, changes: RemittanceChanges(amount: 5), metadata: metadata),
                    .amend(id: id, expectedVersion: 1, changes: RemittanceChanges(amount: 6), metadata: metadata),
                    .create(id: UUID(), details: details, metadata: metadata),
                ], amountMax: 1_000_000, on: connection)
            }
            #expect((try? outcomes[0].get())?.remittance.version == 2)
            #expect(outcomes[1] == .failure(.versionMismatch(expected: 1, current: 2)))
            #expect((try? outcomes[2].get()) != nil)
            #expect(try await allEvents(pool).count == 4)
        }
    }

    @Test("an amend after a cancel is refused")
    func amendAfterCancel() async throws {
        try await withLedger { pool, appender in
            let id = try await create(appender).get().remittance.id
            let metadata = EventMetadata(actor: "test")
            _ = try await appender.submit(.cancel(id: id, expectedVersion: 1, reason: "wrong account", metadata: metadata), bytes: 10).get()
            let amend = try await appender.submit(.amend(id: id, expectedVersion: 2, changes: RemittanceChanges(amount: 1), metadata: metadata), bytes: 10)
            #expect(amend == .failure(.alreadyCancelled(id)))
        }
    }

    @Test("a stopped appender refuses new commands instead of leaving them waiting")
    func stoppedAppender() async throws {
        let pool = PostgresPool(url: "postgresql://nobody@127.0.0.1:1/none", connectionsMax: 1)
        let appender = Appender(pool: pool, amountMax: 100, logger: Logger(label: "test"))
        let running = Task { try await appender.run() }
        running.cancel()
        try await running.value
        await #expect(throws: Appender.Failure.self) { try await create(appender) }
        await pool.close()
    }

    @Test("a region that is not the writer can not append, whatever its nodes believe")
    func readerCanNotAppend() async throws {
        let migrations = try Migration.load(directory: try MigrationsDirectory.locate())
        try await withFreshPool { pool, _ in
            try await Migrator(pool: pool).apply(migrations)
            _ = try await RegionStore(pool: pool).claim(RegionName(rawValue: "west")!, initialRole: .reader)
            await #expect(throws: NotWriterError.self) {
                try await pool.withConnection { connection in
                    try LedgerWriter.append([.create(id: UUID(), details: details, metadata: EventMetadata(actor: "t"))], amountMax: 1_000_000, on: connection)
                }
            }
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM events")[0].decode(0, as: Int64.self) }
            #expect(count == 0)
        }
    }

    @Test("a table query that runs past its bound is asked again without index scans, in the same transaction, settings restored")
    func tableQueryFallsBack() async throws {
        try await withFreshPool { pool, _ in
            let (slow, fast, after) = try await pool.withTransaction(isolation: .repeatableRead) { connection in
                // Bounds far from what the queries take, so a busy machine changes nothing.
                let slow: String = try LedgerReader.tableQuery(
                    "SELECT 'planned' FROM pg_sleep(30)", orWithoutIndexScans: "SELECT current_setting('enable_indexscan')", [], connection,
                    boundMilliseconds: 50
                )[0].decode(0)
                let fast: String = try LedgerReader.tableQuery(
                    "SELECT 'planned' || $1", orWithoutIndexScans: "SELECT 'fallback' || $1", ["!"], connection, boundMilliseconds: 20_000
                )[0].decode(0)
                let after: String = try connection.query(
                    "SELECT current_setting('statement_timeout') || ' ' || current_setting('enable_indexscan') || ' ' || current_setting('enable_seqscan')"
                )[0].decode(0)
                return (slow, fast, after)
            }
            #expect(slow == "off", "the fallback ran, without index scans")
            #expect(fast == "planned!", "a query done in time is not asked again")
            #expect(after == "0 on on", "the bound and the settings do not outlive the query")
        }
    }
}
