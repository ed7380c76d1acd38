import Foundation
import RemitCore
import RemitPostgres

/// `remit projections rebuild`: the views built aside from the log and swapped in, in one
/// transaction. Emptying the live table and projecting into it again paid every one of its 22
/// indexes (nine of them trigram GIN) per row, and left a million dead rows behind (366 s for a
/// million events); here the log is folded stream by stream into a new table with no index,
/// loaded with COPY, the indexes are built once over the loaded table, and the tables are
/// swapped at the end. Readers see the old views until the commit: only the swap (a drop and
/// renames) holds the table's exclusive lock.
public enum ViewRebuild {
    /// What a rebuild has done so far.
    public enum Progress: Sendable {
        /// Events folded into rows, of about `of` (the head position: the log's few system
        /// events are not folded).
        case folding(Int64, of: Int64)
        /// Indexes built on the new table.
        case indexing(Int, of: Int)
    }

    static let newTable = "remittances_rebuilt"
    static let suffix = "_rebuilt"

    /// Inside the caller's transaction. Returns the position the views hold.
    static func run(_ connection: PostgresConnection, pageEvents: Int = Limits.rebuildPageEvents, progress: (Progress) -> Void) throws -> Int64 {
        // Projectors of every node wait here until the commit.
        try connection.query("SELECT position FROM projection_checkpoint WHERE name = $1 FOR UPDATE", [ProjectionWriter.checkpointName])
        // Positions up to a committed head are all committed (appends take turns on the region row).
        let head: Int64 = try connection.query("SELECT coalesce(max(position), 0) FROM events")[0].decode(0)
        let indexes = try liveIndexes(connection)
        try connection.query("CREATE TABLE \(newTable) (LIKE remittances INCLUDING ALL EXCLUDING INDEXES)")

        var deltas = DashboardDeltas()
        var open: Row?
        var folded: Int64 = 0
        progress(.folding(0, of: head))
        try StreamOrderedEvents.read(connection, within: .position(head), pageEvents: pageEvents) { events, isLast in
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
            folded += Int64(events.count)
            progress(.folding(folded, of: head))
        }

        for (done, index) in indexes.enumerated() {
            progress(.indexing(done, of: indexes.count))
            try connection.query(index.renamedDefinition)
            if let constraint = index.constraint {
                try connection.query("ALTER TABLE \(newTable) ADD CONSTRAINT \(index.name)\(suffix) \(constraint) USING INDEX \(index.name)\(suffix)")
            }
        }
        progress(.indexing(indexes.count, of: indexes.count))
        // The new table's statistics, for the plans of the first queries after the swap.
        try connection.query("ANALYZE \(newTable)")

        try connection.execute(script: """
            DROP TABLE remittances;
            ALTER TABLE \(newTable) RENAME TO remittances;
            DELETE FROM dashboard_status; DELETE FROM dashboard_currency; DELETE FROM dashboard_corridor; DELETE FROM dashboard_minute;
            """)
        for index in indexes { try connection.query("ALTER INDEX \(index.name)\(suffix) RENAME TO \(index.name)") }
        try deltas.save(connection)
        try connection.query("UPDATE projection_checkpoint SET position = $1 WHERE name = $2", [head, ProjectionWriter.checkpointName])
        return head
    }

    /// One of the live table's indexes, as the migrations made it.
    struct Index {
        let name: String
        /// Its definition for the new table, under a name of its own until the swap.
        let renamedDefinition: String
        /// "PRIMARY KEY" or "UNIQUE" when it backs a constraint.
        let constraint: String?
    }

    /// The live table's indexes, from PostgreSQL's own definitions of them: the migrations stay
    /// their one home.
    static func liveIndexes(_ connection: PostgresConnection) throws -> [Index] {
        try connection.query(
            """
            SELECT c.relname, n.nspname, pg_get_indexdef(i.indexrelid), k.contype::text
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
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
                renamedDefinition: definition.replacingOccurrences(of: live, with: " INDEX \(name)\(suffix) ON \(schema).\(newTable) USING "),
                constraint: constraint
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
