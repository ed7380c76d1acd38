import Foundation
import RemitPostgres

/// A runbook execution as stored: what ran, who asked, how it ended, and its steps.
public struct RunbookExecution: Sendable, Equatable, Codable {
    public struct Step: Sendable, Equatable, Codable {
        public var index: Int32
        public var name: String
        public var outcome: String
        public var endedAt: Date
        public var milliseconds: Double
        public var detail: String
    }

    public var id: UUID
    public var kind: String
    public var sourceRegion: String
    public var targetRegion: String
    public var requestedBy: String
    public var state: String
    public var startedAt: Date
    public var endedAt: Date?
    public var detail: String
    public var steps: [Step]
}

/// Another execution is running; nothing was started.
public struct RunbookBusy: Error, Sendable, CustomStringConvertible {
    public let running: UUID
    public let startedAt: Date
    public var description: String {
        "another runbook execution is running: \(running.uuidString.lowercased()), started \(startedAt.formatted(.iso8601))"
    }
}

/// Runbook executions in one region's database.
public struct RunbookStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Records a new running execution, unless one is running already. A running row older
    /// than `abandonAfterSeconds` belongs to a run that died; it is marked abandoned first.
    public func begin(
        id: UUID, kind: String, source: String, target: String, requestedBy: String, abandonAfterSeconds: Int64
    ) async throws {
        try await pool.withTransaction { connection in
            try connection.query(
                """
                UPDATE runbook_executions SET state = 'abandoned', ended_at = clock_timestamp(), detail = 'no end was recorded'
                WHERE state = 'running' AND started_at < clock_timestamp() - make_interval(secs => $1::bigint)
                """,
                [abandonAfterSeconds]
            )
            if let row = try connection.query("SELECT id, started_at FROM runbook_executions WHERE state = 'running'").first {
                throw RunbookBusy(running: try row.decode(0), startedAt: try row.decode(1))
            }
            try connection.query(
                "INSERT INTO runbook_executions (id, kind, source_region, target_region, requested_by, state) VALUES ($1, $2, $3, $4, $5, 'running')",
                [id, kind, source, target, requestedBy]
            )
        }
    }

    public func step(_ id: UUID, index: Int32, name: String, outcome: String, milliseconds: Double, detail: String) async throws {
        try await pool.withConnection { connection in
            try connection.query(
                "INSERT INTO runbook_steps (execution_id, step_index, name, outcome, milliseconds, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                [id, index, name, outcome, milliseconds, detail]
            )
        }
    }

    /// Records how an execution ended. The execution's own end replaces an "abandoned" that a
    /// rejoin wrote meanwhile (the rejoin check can fire while a planned failover runs).
    public func finish(_ id: UUID, state: String, detail: String) async throws {
        try await pool.withConnection { connection in
            try connection.query(
                "UPDATE runbook_executions SET state = $2, ended_at = clock_timestamp(), detail = $3 WHERE id = $1 AND state IN ('running', 'abandoned')",
                [id, state, detail]
            )
        }
    }

    /// The newest executions first, each with its steps.
    public func executions(limit: Int, id: UUID? = nil) async throws -> [RunbookExecution] {
        try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT id, kind, source_region, target_region, requested_by, state, started_at, ended_at IS NOT NULL,
                       coalesce(ended_at, started_at), detail
                FROM runbook_executions WHERE $1::uuid IS NULL OR id = $1 ORDER BY started_at DESC LIMIT $2
                """,
                [id, Int64(limit)]
            )
            return try rows.map { row in
                let executionID: UUID = try row.decode(0)
                let ended: Bool = try row.decode(7)
                let steps = try connection.query(
                    "SELECT step_index, name, outcome, ended_at, milliseconds, detail FROM runbook_steps WHERE execution_id = $1 ORDER BY step_index",
                    [executionID]
                ).map { step in
                    RunbookExecution.Step(index: try step.decode(0), name: try step.decode(1), outcome: try step.decode(2),
                                          endedAt: try step.decode(3), milliseconds: try step.decode(4), detail: try step.decode(5))
                }
                return RunbookExecution(
                    id: executionID, kind: try row.decode(1), sourceRegion: try row.decode(2), targetRegion: try row.decode(3),
                    requestedBy: try row.decode(4), state: try row.decode(5), startedAt: try row.decode(6),
                    endedAt: ended ? try row.decode(8) : nil, detail: try row.decode(9), steps: steps
                )
            }
        }
    }

    /// What `/metrics` shows of the executions this region's database records: how many of each
    /// kind ended (or run) in each state, and each step's count, total and last time by kind.
    public struct Figures: Sendable, Equatable {
        public struct Executions: Sendable, Equatable {
            public var kind: String
            public var state: String
            public var count: Int64
        }

        public struct Steps: Sendable, Equatable {
            public var kind: String
            public var step: String
            public var count: Int64
            public var secondsTotal: Double
            public var lastSeconds: Double
        }

        public var executions: [Executions]
        public var steps: [Steps]
    }

    public func figures() async throws -> Figures {
        try await pool.withConnection { connection in
            let executions = try connection.query("SELECT kind, state, count(*) FROM runbook_executions GROUP BY 1, 2 ORDER BY 1, 2").map { row in
                Figures.Executions(kind: try row.decode(0), state: try row.decode(1), count: try row.decode(2))
            }
            let steps = try connection.query(
                """
                SELECT e.kind, s.name, count(*), sum(s.milliseconds) / 1000, (array_agg(s.milliseconds ORDER BY s.ended_at DESC))[1] / 1000
                FROM runbook_steps s JOIN runbook_executions e ON e.id = s.execution_id GROUP BY 1, 2 ORDER BY 1, 2
                """
            ).map { row in
                Figures.Steps(kind: try row.decode(0), step: try row.decode(1), count: try row.decode(2), secondsTotal: try row.decode(3),
                              lastSeconds: try row.decode(4))
            }
            return Figures(executions: executions, steps: steps)
        }
    }
}
