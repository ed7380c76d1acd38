import Foundation
import RemitCore
import RemitPostgres

/// The rebuild's usual ending: the folded table compared with the live one, and only the rows
/// that differ rewritten in the live table — none when the views were right, which is why one
/// rebuilds them most of the time (to prove it, or after a fault). Building 22 indexes again
/// (22–30 s for a million rows here) is left to the rare rebuild that finds many rows to change.
extension ViewRebuild {
    /// The ids whose rows differ, and the live checkpoint they were compared at.
    struct Differences {
        let ids: [UUID]
        let checkpoint: Int64
    }

    /// The rows of the live table that differ from the folded ones (or are in only one of them),
    /// read in one snapshot with the checkpoint they hold; nil when more than `rowsMax` differ.
    /// Rows created after the fold's head are not counted: a writer taking creates while the
    /// rebuild folds has thousands, and `rewrite` takes them out in one cheap DELETE.
    static func differences(_ connection: PostgresConnection, head: Int64, rowsMax: Int) throws -> Differences? {
        try connection.withTransaction(isolation: .repeatableRead) { connection in
            // The two tables are hashed whole: enough memory keeps the join in one pass.
            try connection.query("SET LOCAL work_mem = '\(Limits.rebuildCompareMemoryMegabytes)MB'")
            let checkpoint: Int64 = try connection.query(
                "SELECT position FROM projection_checkpoint WHERE name = $1", [ProjectionWriter.checkpointName]
            )[0].decode(0)
            let ids: [UUID] = try connection.query(
                """
                SELECT coalesce(a.id, l.id) FROM \(newTable) a FULL JOIN remittances l ON a.id = l.id
                WHERE ROW(a.*) IS DISTINCT FROM ROW(l.*) AND NOT (a.id IS NULL AND l.created_position > $2) LIMIT $1
                """, [Int64(rowsMax) + 1, head]
            ).map { try $0.decode(0) }
            return ids.count > rowsMax ? nil : Differences(ids: ids, checkpoint: checkpoint)
        }
    }

    /// In a transaction of its own, holding the checkpoint: the rows that differ — found again
    /// among those the comparison found and those the projectors changed since — replaced by the
    /// folded ones, the dashboard rewritten and the checkpoint set to the fold's head, as a swap
    /// would leave them. Returns the rows rewritten, and how many of them differed from the log
    /// (the others were only ahead of the head or behind it, and the projectors bring them on).
    static func rewrite(
        _ connection: PostgresConnection, head: Int64, differences: Differences, indexes: [Index], deltas: DashboardDeltas
    ) throws -> Replaced {
        let checkpoint = try ProjectionWriter.lockCheckpoint(connection)
        try checkUnchanged(connection, indexes: indexes)
        guard checkpoint >= differences.checkpoint else {
            throw RebuildError(message: "the views were reset while the rebuild ran (a region rejoining?); run it again")
        }
        func streams(after from: Int64, through to: Int64) throws -> Set<UUID> {
            Set(try connection.query(
                "SELECT DISTINCT stream_id FROM events WHERE position > $1 AND position <= $2", [from, to]
            ).map { try $0.decode(0) })
        }
        // Rows created after the head: the projectors insert them again from the head on (a
        // DELETE leaves the indexes as they are, for VACUUM).
        let createdAfterHead: [UUID] = try connection.query(
            "DELETE FROM remittances WHERE created_position > $1 RETURNING id", [head]
        ).map { try $0.decode(0) }
        let candidates = PostgresArray(Array(Set(differences.ids).union(try streams(after: differences.checkpoint, through: checkpoint))))
        let ids: [UUID] = try connection.query(
            """
            SELECT x.id FROM unnest($1::uuid[]) AS x(id)
            LEFT JOIN \(newTable) a ON a.id = x.id LEFT JOIN remittances l ON l.id = x.id
            WHERE ROW(a.*) IS DISTINCT FROM ROW(l.*)
            """, [candidates]
        ).map { try $0.decode(0) }
        if !ids.isEmpty {
            try connection.query("DELETE FROM remittances WHERE id = ANY($1)", [PostgresArray(ids)])
            try connection.query("INSERT INTO remittances SELECT * FROM \(newTable) WHERE id = ANY($1)", [PostgresArray(ids)])
        }
        try connection.execute(script: ProjectionWriter.emptyDashboardSQL)
        try deltas.save(connection)
        try connection.query("UPDATE projection_checkpoint SET position = $1 WHERE name = $2", [head, ProjectionWriter.checkpointName])
        let moving = try streams(after: min(head, checkpoint), through: max(head, checkpoint))
        // A row past the head that no event past it made was never the log's.
        let rewritten = Set(createdAfterHead).union(ids)
        return .rewritten(rows: rewritten.count, differedFromLog: rewritten.count { !moving.contains($0) })
    }
}
