-- Runbook executions (failover, failback) and their steps, written to every region's database
-- as they happen, so each execution can be looked up from either region. At most one
-- execution runs at a time: the writer's database refuses a second running row.

CREATE TABLE runbook_executions (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('planned-failover')),
    source_region  text NOT NULL,
    target_region  text NOT NULL,
    requested_by   text NOT NULL,
    state          text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'abandoned')),
    started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    ended_at       timestamptz,
    detail         text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX runbook_executions_one_running ON runbook_executions ((true)) WHERE state = 'running';

CREATE TABLE runbook_steps (
    execution_id  uuid NOT NULL REFERENCES runbook_executions (id),
    step_index    integer NOT NULL CHECK (step_index >= 0),
    name          text NOT NULL,
    outcome       text NOT NULL,
    ended_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    milliseconds  double precision NOT NULL CHECK (milliseconds >= 0),
    detail        text NOT NULL,
    PRIMARY KEY (execution_id, step_index)
);
