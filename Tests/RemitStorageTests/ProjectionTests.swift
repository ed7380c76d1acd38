import Foundation
import Logging
import RemitDomain
import RemitPostgres
import Testing
@testable import RemitStorage

/// Every view table as text, row by row in a fixed order: equal dumps mean equal views.
func dumpViews(_ pool: PostgresPool) async throws -> String {
    try await pool.withConnection { connection in
        var dump = ""
        for (table, order) in [
            ("remittances", "id"), ("dashboard_status", "status"), ("dashboard_currency", "currency"),
            ("dashboard_corridor", "sender_bank, receiver_bank, currency"), ("dashboard_minute", "minute_us"),
            ("projection_checkpoint", "name"),
        ] {
            dump += "-- \(table)\n"
            for row in try connection.query("SELECT row_to_json(t)::text FROM (SELECT * FROM \(table) ORDER BY \(order)) t") {
                dump += try row.decode(0, as: String.self) + "\n"
            }
        }
        return dump
    }
}

/// A mix of creates, amends and cancels across currencies and corridors.
func makeHistory(_ appender: Appender, count: Int) async throws {
    let metadata = EventMetadata(actor: "test")
    for index in 0..<count {
        var request = details
        request.currency = ["USD", "EUR", "JPY"][index % 3]
        request.receiverBank = "Bank \(index % 4)"
        request.amount = Int64(100 + index)
        let id = try await appender.submit(.create(id: UUID(), details: request, metadata: metadata), bytes: 100).get().remittance.id
        if index % 3 == 0 {
            _ = try await appender.submit(.amend(id: id, expectedVersion: 1, changes: RemittanceChanges(receiverBank: "Bank X", amount: 7), metadata: metadata), bytes: 10).get()
        }
        if index % 5 == 0 {
            let version: Int32 = index % 3 == 0 ? 2 : 1
            _ = try await appender.submit(.cancel(id: id, expectedVersion: version, reason: "test", metadata: metadata), bytes: 10).get()
        }
    }
}

@Suite("projections")
struct ProjectionTests {
    @Test("the views follow the log: states, counts and amounts")
    func views() async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 30)
            let projector = Projector(pool: pool, logger: Logger(label: "test"))
            let position = try await projector.catchUp()
            #expect(position == (try await RegionStore(pool: pool).current()!.headPosition))
            let dashboard = try await LedgerReader(pool: pool).dashboard()
            #expect(dashboard.countsByStatus.values.reduce(0, +) == 30)
            #expect(dashboard.countsByStatus["cancelled"] == 6)
            #expect(dashboard.countsByStatus["amended"] == 8)  // 10 amended, 2 of them later cancelled
            #expect(dashboard.currencies.map(\.count).reduce(0, +) == 24)
            let page = try await LedgerReader(pool: pool).list(limit: 10)
            #expect(page.items.count == 10 && page.nextCursor != nil)
            let rest = try await LedgerReader(pool: pool).list(limit: 500, after: page.nextCursor)
            #expect(rest.items.count == 20 && rest.nextCursor == nil)
            #expect(Set((page.items + rest.items).map(\.id)).count == 30)
            let cancelled = try await LedgerReader(pool: pool).list(status: .cancelled, limit: 50)
            #expect(cancelled.items.count == 6 && cancelled.items.allSatisfy { $0.status == .cancelled })
            let search = try await LedgerReader(pool: pool).list(query: "bank x", limit: 50)
            #expect(search.items.count == 10)
        }
    }

    @Test("a projector that crashes in the middle of a batch converges exactly")
    func crashInBatch() async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 20)
            let before = try await dumpViews(pool)
            for crashAfter in [0, 7, 19] {
                await #expect(throws: ProjectionWriter.InjectedCrash.self) {
                    try await pool.withConnection { try ProjectionWriter.projectBatch($0, limit: 1_000, crashAfterEvents: crashAfter) }
                }
                #expect(try await dumpViews(pool) == before, "a crashed batch leaves nothing behind")
            }
            // Half the log, then a crash, then the rest.
            _ = try await pool.withConnection { try ProjectionWriter.projectBatch($0, limit: 12) }
            await #expect(throws: ProjectionWriter.InjectedCrash.self) {
                try await pool.withConnection { try ProjectionWriter.projectBatch($0, limit: 1_000, crashAfterEvents: 5) }
            }
            try await Projector(pool: pool, logger: Logger(label: "test")).catchUp()
            let live = try await dumpViews(pool)
            _ = try await Projector.rebuild(pool: pool) { _ in }
            #expect(try await dumpViews(pool) == live)
        }
    }

    @Test(
        "readers see the old views while a rebuild runs, not an empty or blocked table; the projector goes on, then catches the rebuilt views up",
        arguments: ["before comparing", "before rewriting", "before swapping"]
    )
    func readersDuringRebuild(holdPoint: String) async throws {
        let full = holdPoint == "before swapping"
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 10)
            let projector = Projector(pool: pool, logger: Logger(label: "test"))
            try await projector.catchUp()
            let before = try await LedgerReader(pool: pool).dashboard()
            let (reached, proceed) = AsyncStream.makeStream(of: Void.self)
            let gate = Gate()
            // A limit of 2 rows: the 5 remittances created while the rebuild holds must not count
            // against it (they are past its head), or it would swap.
            async let rebuilt = ViewRebuild.run(pool: pool, full: full, rewriteRowsMax: 2) { progress in
                // Hold the rebuild open (the new views folded; not yet compared, or compared and
                // not rewritten, or indexed and not swapped in) until the reader has read and the
                // projector has moved the live views on.
                switch (holdPoint, progress) {
                case ("before comparing", .comparing), ("before rewriting", .rewriting), ("before swapping", .indexing(22, of: 22)):
                    proceed.yield()
                    gate.wait()
                default: break
                }
            }
            var iterator = reached.makeAsyncIterator()
            await iterator.next()
            // While the rebuild holds (its new table built, not swapped in) a reader reads, then the
            // log grows and the projector applies it to the live views. Blocked, they would wait
            // for ever: give them 10 s, then let the rebuild go.
            let during = try await withThrowingTaskGroup(of: Dashboard?.self) { group in
                group.addTask {
                    let read = try await LedgerReader(pool: pool).dashboard()
                    try await makeHistory(appender, count: 5)
                    try await projector.catchUp()
                    return read
                }
                group.addTask { try await Task.sleep(for: .seconds(10)); return nil }
                let first = try await group.next()!
                gate.open()
                group.cancelAll()
                return first
            }
            #expect(during == before, "the read or the projector was blocked during the rebuild, or the read saw other views")
            let rebuiltAt = try await rebuilt.position
            // Rewritten in place: the five new remittances the live views had were taken out
            // again (they are past the rebuild's position), and nothing differed from the log.
            #expect(try await rebuilt.replaced == (full ? .swapped : .rewritten(rows: 5, differedFromLog: 0)))
            #expect(try await LedgerReader(pool: pool).dashboard() == before, "the rebuilt views hold the log up to where the rebuild began")
            #expect(try await LedgerReader(pool: pool).projectedPosition() == rebuiltAt)
            // The projector applies what came after; the result is what a rebuild of it all gives.
            try await projector.catchUp()
            let caughtUp = try await dumpViews(pool)
            _ = try await Projector.rebuild(pool: pool) { _ in }
            #expect(try await dumpViews(pool) == caughtUp)
            #expect(try await LedgerReader(pool: pool).dashboard().countsByStatus.values.reduce(0, +) == 15)
        }
    }

    @Test("a rebuild's ranges of streams follow one another and cover every id")
    func streamRanges() {
        func first(_ id: UUID?) -> UInt8? { id?.uuid.0 }
        #expect(StreamOrderedEvents.Streams.split(1).map { [first($0.from), first($0.before)] } == [[0, nil]])
        #expect(StreamOrderedEvents.Streams.split(2).map { [first($0.from), first($0.before)] } == [[0, 0x80], [0x80, nil]])
        #expect(StreamOrderedEvents.Streams.split(3).map { [first($0.from), first($0.before)] } == [[0, 0x55], [0x55, 0xAA], [0xAA, nil]])
        #expect(StreamOrderedEvents.Streams.split(2)[0].from == LedgerEvent.ledgerStreamID)
    }

    @Test("one rebuild at a time; what a rebuild that died left behind is dropped by the next")
    func oneRebuildAtATime() async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 6)
            try await Projector(pool: pool, logger: Logger(label: "test")).catchUp()
            let live = try await dumpViews(pool)
            let other = try await pool.openUnpooledConnection(applicationName: "test")
            _ = try await pool.run(on: other) { try $0.query("SELECT pg_advisory_lock($1)", [ViewRebuild.lockKey]) }
            await #expect(throws: ViewRebuild.AlreadyRunning.self) { try await Projector.rebuild(pool: pool) { _ in } }
            _ = try await pool.run(on: other) { try $0.query("SELECT pg_advisory_unlock($1)", [ViewRebuild.lockKey]) }
            // A rebuild that died after its fold committed: its half-built table is still there.
            _ = try await pool.withConnection { try $0.query("CREATE TABLE remittances_rebuilt (LIKE remittances)") }
            _ = try await pool.withConnection { try $0.query("INSERT INTO remittances_rebuilt SELECT * FROM remittances LIMIT 1") }
            _ = try await Projector.rebuild(pool: pool) { _ in }
            #expect(try await dumpViews(pool) == live)
            let left: Int64 = try await pool.withConnection { try $0.query("SELECT count(*) FROM pg_class WHERE relname LIKE '%_rebuilt'")[0].decode(0) }
            #expect(left == 0, "no table or index left under a rebuild's name")
        }
    }

    @Test("rebuilding from position 0 gives byte for byte the live views")
    func rebuildEqualsLive() async throws {
        try await withLedger { pool, appender in
            let projector = Projector(pool: pool, logger: Logger(label: "test"))
            // Live: projected in many small steps as the history is written.
            for _ in 0..<5 {
                try await makeHistory(appender, count: 8)
                try await projector.catchUp()
            }
            let live = try await dumpViews(pool)
            let reports = ProgressLog()
            let rebuilt = try await Projector.rebuild(pool: pool) { reports.add($0) }
            #expect(rebuilt.replaced == .rewritten(rows: 0, differedFromLog: 0), "right views: nothing to rewrite")
            #expect(try await dumpViews(pool) == live)
            let events: Int64 = try await pool.withConnection { try $0.query("SELECT count(*) FROM events WHERE event_type LIKE 'Remittance%'")[0].decode(0) }
            #expect(reports.folded?.0 == events && reports.folded?.1 == rebuilt.position, "every remittance event folded, of the head")
            #expect(reports.indexed == nil)
            let swapped = try await Projector.rebuild(pool: pool, full: true) { reports.add($0) }
            #expect(swapped.replaced == .swapped)
            #expect(try await dumpViews(pool) == live)
            #expect(reports.indexed?.0 == reports.indexed?.1 && reports.indexed?.1 == 22, "the table's 22 indexes (its keys among them) built again")
            let indexes: Int64 = try await pool.withConnection {
                try $0.query("SELECT count(*) FROM pg_indexes WHERE tablename = 'remittances' AND indexname NOT LIKE '%_rebuilt'")[0].decode(0)
            }
            #expect(indexes == 22, "the swapped-in table has its indexes under their own names")
            // Pages of 1 to 3 events cut streams (create, amend, cancel) at every place; the
            // streams folded in 1 to 3 ranges at once.
            // Compared with the live rows (each differing row would be rewritten and counted), and
            // swapped in whole.
            for (pageEvents, connections) in [(1, 1), (2, 3), (3, 2), (7, 3)] {
                for full in [false, true] {
                    let rebuilt = try await ViewRebuild.run(pool: pool, full: full, connections: connections, pageEvents: pageEvents) { _ in }
                    #expect(rebuilt.replaced == (full ? .swapped : .rewritten(rows: 0, differedFromLog: 0)), "pages of \(pageEvents), \(connections) ranges")
                    #expect(try await dumpViews(pool) == live, "pages of \(pageEvents), \(connections) ranges, full: \(full)")
                }
            }
        }
    }

    @Test("views gone wrong are put right: the rows that differ rewritten, or, past the limit, a new table swapped in")
    func wrongViewsRepaired() async throws {
        try await withLedger { pool, appender in
            try await makeHistory(appender, count: 12)
            try await Projector(pool: pool, logger: Logger(label: "test")).catchUp()
            let live = try await dumpViews(pool)
            @Sendable func damage() async throws {
                try await pool.withConnection { connection in
                    try connection.execute(script: """
                        UPDATE remittances SET amount = amount + 1 WHERE id = (SELECT id FROM remittances ORDER BY created_position LIMIT 1);
                        DELETE FROM remittances WHERE id = (SELECT id FROM remittances ORDER BY created_position DESC LIMIT 1);
                        INSERT INTO remittances SELECT gen_random_uuid(), version, status, sender_name, sender_bank, sender_account,
                            receiver_name, receiver_bank, receiver_account, amount, currency, reference, cancellation_reason,
                            created_position + 1000000, created_at_us, updated_at_us FROM remittances LIMIT 1;
                        UPDATE dashboard_status SET count = count + 5;
                        """)
                }
            }
            try await damage()
            #expect(try await dumpViews(pool) != live)
            let rewritten = try await Projector.rebuild(pool: pool) { _ in }
            #expect(rewritten.replaced == .rewritten(rows: 3, differedFromLog: 3))
            #expect(try await dumpViews(pool) == live)
            try await damage()
            // The added row sits past the head (counted when rewritten, not against the limit).
            let swapped = try await ViewRebuild.run(pool: pool, rewriteRowsMax: 1) { _ in }
            #expect(swapped.replaced == .swapped, "more rows differ than the limit")
            #expect(try await dumpViews(pool) == live)
        }
    }
}

/// A one-shot gate a pool thread can block on until a test task opens it.
final class Gate: @unchecked Sendable {
    // A semaphore is thread-safe; the class only holds it.
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func open() { semaphore.signal() }
}

final class ProgressLog: @unchecked Sendable {
    // Written by one rebuild at a time, read after it.
    private(set) var folded: (Int64, Int64)?
    private(set) var indexed: (Int, Int)?
    func add(_ progress: ViewRebuild.Progress) {
        switch progress {
        case .folding(let events, let head): folded = (events, head)
        case .indexing(let built, let indexes): indexed = (built, indexes)
        case .comparing, .rewriting: break
        }
    }
}
