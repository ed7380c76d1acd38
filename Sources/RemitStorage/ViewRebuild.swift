import Foundation
import RemitCore
import RemitPostgres
import Synchronization

/// `remit projections rebuild`: the views built aside from the log, then put in place. Emptying
/// the live table and projecting into it again paid every one of its 22 indexes (eight of them
/// trigram GIN) per row and left a million dead rows behind (366 s for a million events), with
/// the projectors stopped all along. Here:
///
/// 1. the log up to its head is folded stream by stream into a new table with no index and
///    loaded with COPY, in as many ranges of stream ids at once as it has connections (the
///    projectors go on meanwhile);
/// 2. the new table is compared with the live one; when at most `Limits.rebuildRewriteRowsMax`
///    rows differ (none, when the views were right), one transaction rewrites those rows in the
///    live table (`ViewRebuildRewrite.swift`);
/// 3. otherwise, or when asked for (`full`), the live table's indexes are built on the new
///    table from PostgreSQL's own definitions, as many at once (each build runs on one core),
///    and one short transaction swaps the tables.
///
/// Either way the last transaction writes the dashboard figures and sets the checkpoint to the
/// head the fold reached; the projectors then apply what came after. Readers read the old views
/// until it commits, and only a swap takes the table's exclusive lock. One rebuild runs at a time
/// per database (an advisory lock); what a rebuild that died left behind is dropped by the next.
public enum ViewRebuild {
    /// What a rebuild has done so far.
    public enum Progress: Sendable {
        /// Events folded into rows, of about `of` (the head position: the log's few system
        /// events are not folded).
        case folding(Int64, of: Int64)
        /// Comparing the new table with the live one.
        case comparing
        /// About to rewrite the rows found different (the comparison's count).
        case rewriting(rows: Int)
        /// Indexes built on the new table; `.indexing(n, of: n)` comes just before the swap.
        case indexing(Int, of: Int)
    }

    /// How the rebuilt rows were put in place.
    public enum Replaced: Sendable, Equatable {
        /// In the live table: `rows` rewritten, of which `differedFromLog` differed from the
        /// log; the others were only ahead of the fold's head or behind it (the projectors were
        /// applying events meanwhile) and are brought on by them.
        case rewritten(rows: Int, differedFromLog: Int)
        /// A new table with its indexes swapped in: many rows differed, or it was asked for.
        case swapped

        /// How the rebuild ended, for people.
        public var summary: String {
            switch self {
            case .rewritten(let rows, let differed): "compared with the live views (\(differed) rows differed from the log; \(rows) rewritten)"
            case .swapped: "indexed a new table and swapped it in"
            }
        }
    }

    public struct AlreadyRunning: Error, CustomStringConvertible {
        public var description: String { "another rebuild of the views is running on this database" }
    }

    /// The advisory lock key: "remit_rv" as a number.
    static let lockKey: Int64 = 0x7265_6D69_745F_7276
    static let newTable = "remittances_rebuilt"
    static let suffix = "_rebuilt"

    /// What a rebuild did, and how long its two halves took.
    public struct Rebuilt: Sendable {
        /// The position the rebuilt views hold.
        public let position: Int64
        public let replaced: Replaced
        /// Folding the log and loading the new table.
        public let foldDuration: Duration
        /// Comparing and rewriting rows, or building the indexes and swapping.
        public let replaceDuration: Duration
    }

    /// `full`: build the new table's indexes and swap it in however few rows differ (which also
    /// leaves the table and its indexes compact). The fold's ranges and the index builds borrow
    /// up to `connections` of `pool`'s connections at once.
    static func run(
        pool: PostgresPool, full: Bool = false, rewriteRowsMax: Int = Limits.rebuildRewriteRowsMax,
        connections: Int = Limits.rebuildConnectionsMax, pageEvents: Int = Limits.rebuildPageEvents,
        progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> Rebuilt {
        // The session holding the lock; closing it (when it is released) lets the lock go.
        let session = try await pool.openUnpooledConnection(applicationName: "remit projections rebuild")
        func onSession<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
            try await pool.run(on: session, body)
        }
        guard try await onSession({ try $0.query("SELECT pg_try_advisory_lock($1)", [lockKey])[0].decode(0, as: Bool.self) }) else {
            throw AlreadyRunning()
        }
        do {
            let started = ContinuousClock.now
            let (head, indexes) = try await onSession { try $0.withTransaction { try prepare($0) } }
            let deltas = try await fold(pool: pool, ranges: StreamOrderedEvents.Streams.split(connections), head: head, pageEvents: pageEvents, progress: progress)
            let folded = ContinuousClock.now
            if !full {
                let found = try await onSession { session in
                    progress(.comparing)
                    return try differences(session, head: head, rowsMax: rewriteRowsMax)
                }
                if let found {
                    // Progress is reported from the session's thread, never a task's: a caller
                    // may block in it (the tests hold the rebuild there).
                    let replaced = try await onSession { session in
                        progress(.rewriting(rows: found.ids.count))
                        let replaced = try session.withTransaction {
                            try rewrite($0, head: head, differences: found, indexes: indexes, deltas: deltas)
                        }
                        try session.query("DROP TABLE \(newTable)")
                        return replaced
                    }
                    return Rebuilt(position: head, replaced: replaced, foldDuration: folded - started, replaceDuration: .now - folded)
                }
            }
            try await buildIndexes(indexes, pool: pool, connections: connections, progress: progress)
            _ = try await onSession { try $0.query("ANALYZE \(newTable)") }  // statistics for the first plans after the swap
            try await onSession { session in
                progress(.indexing(indexes.count, of: indexes.count))
                try session.withTransaction { try swap($0, head: head, indexes: indexes, deltas: deltas) }
            }
            return Rebuilt(position: head, replaced: .swapped, foldDuration: folded - started, replaceDuration: .now - folded)
        } catch {
            _ = try? await onSession { try $0.query("DROP TABLE IF EXISTS \(newTable)") }
            throw error
        }
    }

    /// The new table, empty and committed (the fold's connections load it), and what the fold
    /// and the swap need: the head and the live table's indexes.
    private static func prepare(_ connection: PostgresConnection) throws -> (Int64, [Index]) {
        try connection.query("DROP TABLE IF EXISTS \(newTable)")  // left by a rebuild that died
        // Positions up to a committed head are all committed (appends take turns on the region row).
        let head: Int64 = try connection.query("SELECT coalesce(max(position), 0) FROM events")[0].decode(0)
        let indexes = try liveIndexes(connection)
        try connection.query("CREATE TABLE \(newTable) (LIKE remittances INCLUDING ALL EXCLUDING INDEXES)")
        return (head, indexes)
    }

    /// Step 1: each range of streams folded and loaded on a connection of its own; returns the
    /// dashboard's figures of them all.
    private static func fold(
        pool: PostgresPool, ranges: [StreamOrderedEvents.Streams], head: Int64, pageEvents: Int, progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> DashboardDeltas {
        let folded = Counter()
        progress(.folding(0, of: head))
        return try await withThrowingTaskGroup(of: DashboardDeltas.self) { group in
            for streams in ranges {
                group.addTask {
                    try await pool.withTransaction { connection in
                        try fold(connection, streams: streams, head: head, pageEvents: pageEvents) { events in
                            progress(.folding(folded.add(events), of: head))
                        }
                    }
                }
            }
            var deltas = DashboardDeltas()
            for try await range in group { deltas.merge(range) }
            return deltas
        }
    }

    private static func fold(
        _ connection: PostgresConnection, streams: StreamOrderedEvents.Streams, head: Int64, pageEvents: Int, folded: (Int64) -> Void
    ) throws -> DashboardDeltas {
        var deltas = DashboardDeltas()
        var open: Row?
        try StreamOrderedEvents.read(connection, within: .position(head), streams: streams, pageEvents: pageEvents) { events, isLast in
            var finished: [Row] = []
            for event in events {
                if let current = open, current.remittance.id != event.id {
                    finished.append(current)
                    open = nil
                }
                // The projector's own step, so the rows and the dashboard's keys are the ones
                // it would have written event by event.
                guard let next = Row.apply(event.event, id: event.id, version: event.version, position: event.position, atMicroseconds: event.atMicroseconds, to: open)
                else { continue }
                deltas.record(before: open, after: next)
                open = next
            }
            if isLast, let current = open { finished.append(current) }
            try load(finished, connection)
            folded(Int64(events.count))
        }
        return deltas
    }

    /// Step 2: the GIN indexes first (the longest), each build on a connection of its own.
    private static func buildIndexes(
        _ indexes: [Index], pool: PostgresPool, connections: Int, progress: @escaping @Sendable (Progress) -> Void
    ) async throws {
        let queue = IndexQueue(indexes.sorted { ($0.isGIN ? 0 : 1, $0.name) < ($1.isGIN ? 0 : 1, $1.name) })
        let built = Counter()
        progress(.indexing(0, of: indexes.count))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(connections, max(1, indexes.count)) {
                group.addTask {
                    while let index = queue.next() {
                        try await pool.withConnection { connection in
                            try connection.query(index.newDefinition)
                            let done = Int(built.add(1))
                            if done < indexes.count { progress(.indexing(done, of: indexes.count)) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The indexes still to build, shared by the builders.
    private final class IndexQueue: Sendable {
        private let pending: Mutex<ArraySlice<Index>>

        init(_ indexes: [Index]) { pending = Mutex(indexes[...]) }

        func next() -> Index? { pending.withLock { $0.popFirst() } }
    }

    /// A count that several connections' work adds to.
    private final class Counter: Sendable {
        private let value = Atomic<Int64>(0)

        /// Adds `count`; returns the new total.
        func add(_ count: Int64) -> Int64 { value.add(count, ordering: .relaxed).newValue }
    }

    /// Step 3, in a transaction of its own.
    private static func swap(_ connection: PostgresConnection, head: Int64, indexes: [Index], deltas: DashboardDeltas) throws {
        // A projector's batch in flight finishes first; the projectors then wait for the commit.
        _ = try ProjectionWriter.lockCheckpoint(connection)
        try checkUnchanged(connection, indexes: indexes)
        for index in indexes {
            if let constraint = index.constraint {
                try connection.query("ALTER TABLE \(newTable) ADD CONSTRAINT \(index.name)\(suffix) \(constraint) USING INDEX \(index.name)\(suffix)")
            }
        }
        try connection.execute(script: """
            DROP TABLE remittances;
            ALTER TABLE \(newTable) RENAME TO remittances;
            \(ProjectionWriter.emptyDashboardSQL)
            """)
        for index in indexes { try connection.query("ALTER INDEX \(index.name)\(suffix) RENAME TO \(index.name)") }
        try deltas.save(connection)
        try connection.query("UPDATE projection_checkpoint SET position = $1 WHERE name = $2", [head, ProjectionWriter.checkpointName])
    }

    /// The live table still has the columns and indexes the new one was made like: a migration
    /// run meanwhile would otherwise be undone by the swap, or misplace the rewritten rows.
    static func checkUnchanged(_ connection: PostgresConnection, indexes: [Index]) throws {
        let columns = try connection.query(
            """
            SELECT (SELECT array_agg(attname || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)::text
                    FROM pg_attribute WHERE attrelid = t.oid AND attnum > 0 AND NOT attisdropped)
            FROM (VALUES ('remittances'::regclass), ('\(newTable)'::regclass)) AS t(oid)
            """
        ).map { try $0.decode(0, as: String.self) }
        guard columns[0] == columns[1], try liveIndexes(connection).map(\.name) == indexes.map(\.name) else {
            throw RebuildError(message: "the views' table changed while the rebuild ran (a migration?); run it again")
        }
    }

    /// One of the live table's indexes, as the migrations made it.
    struct Index: Sendable {
        let name: String
        /// Its definition for the new table, under a name of its own until the swap.
        let newDefinition: String
        /// "PRIMARY KEY" or "UNIQUE" when it backs a constraint.
        let constraint: String?
        let isGIN: Bool
    }

    /// The live table's indexes, from PostgreSQL's own definitions of them: the migrations stay
    /// their one home.
    static func liveIndexes(_ connection: PostgresConnection) throws -> [Index] {
        try connection.query(
            """
            SELECT c.relname, n.nspname, pg_get_indexdef(i.indexrelid), k.contype::text, a.amname
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_am a ON a.oid = c.relam
            LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
            WHERE i.indrelid = 'remittances'::regclass ORDER BY c.relname
            """
        ).map { row in
            let name: String = try row.decode(0), schema: String = try row.decode(1), definition: String = try row.decode(2)
            // PostgreSQL writes "CREATE [UNIQUE] INDEX name ON schema.table USING …".
            let live = " INDEX \(name) ON \(schema).remittances USING "
            guard definition.contains(live), (name + suffix).utf8.count <= 63 else {
                throw RebuildError(message: "the index \(name) is not defined as the rebuild expects: \(definition)")
            }
            let constraint: String? = switch try row.decode(3, as: String?.self) {
            case "p": "PRIMARY KEY"
            case "u": "UNIQUE"
            default: nil
            }
            return Index(
                name: name,
                newDefinition: definition.replacingOccurrences(of: live, with: " INDEX \(name)\(suffix) ON \(schema).\(newTable) USING "),
                constraint: constraint,
                isGIN: try row.decode(4, as: String.self) == "gin"
            )
        }
    }

    struct RebuildError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The rows folded from a page, with COPY (binary): no index to maintain yet.
    private static func load(_ rows: [Row], _ connection: PostgresConnection) throws {
        guard !rows.isEmpty else { return }
        try connection.copy(into: newTable, columns: Row.columnNames, rows: rows.lazy.map { row -> [any PostgresEncodable] in
            let remittance = row.remittance, details = remittance.details
            return [
                remittance.id, remittance.version, remittance.status.rawValue, details.senderName, details.senderBank,
                details.senderAccount, details.receiverName, details.receiverBank, details.receiverAccount, details.amount,
                details.currency, details.reference, remittance.cancellationReason, row.createdPosition,
                row.createdAtMicroseconds, row.updatedAtMicroseconds,
            ]
        })
    }
}
