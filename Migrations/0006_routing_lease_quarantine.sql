-- Forced failover needs three more things in every region's database.

-- 1. The write lease. A writer appends only while lease_expires_at is in the future by this
-- database's clock; the router renews it while the routing record names this region active.
-- NULL means no router has ever leased this region (a lone node, a test): then nothing expires,
-- and forced failover can not be made safe, which is why `remit up` always runs the router.
ALTER TABLE region_state ADD COLUMN lease_expires_at timestamptz;

-- 2. The routing record: which region is active, at which epoch, and whether a forced failover
-- is switching ('failing-over': no region gets writes). Failovers write it to every region they
-- reach; (epoch, revision) only ever grows, so the highest copy any region holds is the truth.
CREATE TABLE routing_record (
    singleton      boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch          bigint      NOT NULL CHECK (epoch > 0),
    revision       bigint      NOT NULL CHECK (revision >= 0),
    active_region  text        NOT NULL CHECK (active_region ~ '^[a-z][a-z0-9-]{0,31}$'),
    state          text        NOT NULL CHECK (state IN ('active', 'failing-over')),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO routing_record (epoch, revision, active_region, state)
    SELECT epoch, 0, region, 'active' FROM region_state WHERE role = 'writer' AND epoch > 0;

-- 3. Quarantine: events a forced failover cut off. When the old writer rejoins, every event after
-- the fork point moves here, in the same transaction, and stays: nothing is ever dropped.
CREATE TABLE quarantined_events (
    position          bigint      NOT NULL,
    epoch             bigint      NOT NULL,
    stream_id         uuid        NOT NULL,
    stream_version    integer     NOT NULL,
    event_type        text        NOT NULL,
    payload           bytea       NOT NULL,
    metadata          bytea       NOT NULL,
    idempotency_key   text,
    recorded_at_us    bigint      NOT NULL,
    hash              bytea       NOT NULL,
    fork_position     bigint      NOT NULL,
    quarantined_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (epoch, position)
);
CREATE INDEX quarantined_events_stream ON quarantined_events (stream_id, stream_version);

-- The operator's decision on each quarantined remittance (re-submitted or dismissed), once.
CREATE TABLE quarantine_decisions (
    stream_id    uuid        PRIMARY KEY,
    decision     text        NOT NULL CHECK (decision IN ('resubmitted', 'dismissed')),
    decided_by   text        NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    reason       text        NOT NULL
);

-- The log stays append-only with one exception: a rejoining region's transaction sets
-- remit.quarantine_after to the fork point, and only rows after it may leave the log, each
-- copied into quarantined_events by this trigger before it goes.
CREATE OR REPLACE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fork text := current_setting('remit.quarantine_after', true);
BEGIN
    IF TG_OP = 'DELETE' AND fork ~ '^[0-9]+$' AND OLD.position > fork::bigint THEN
        INSERT INTO quarantined_events (position, epoch, stream_id, stream_version, event_type, payload, metadata,
                                        idempotency_key, recorded_at_us, hash, fork_position)
        VALUES (OLD.position, OLD.epoch, OLD.stream_id, OLD.stream_version, OLD.event_type, OLD.payload, OLD.metadata,
                OLD.idempotency_key, OLD.recorded_at_us, OLD.hash, fork::bigint);
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the event log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Forced failovers are runbook executions too.
ALTER TABLE runbook_executions DROP CONSTRAINT runbook_executions_kind_check;
ALTER TABLE runbook_executions ADD CONSTRAINT runbook_executions_kind_check
    CHECK (kind IN ('planned-failover', 'forced-failover'));
