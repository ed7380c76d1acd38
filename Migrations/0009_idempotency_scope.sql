-- Idempotency keys belong to the client that sent them (issue 17): another principal's key,
-- however alike, is a new create, never someone else's remittance or a refusal. A create's key
-- is claimed with its actor (idempotency_scope, derived from the event's own metadata at writer
-- and reader alike); the system's keys (an audit entry's 'audit:<id>') have no scope and stay
-- unique among themselves.
ALTER TABLE events ADD COLUMN idempotency_scope text;
ALTER TABLE quarantined_events ADD COLUMN idempotency_scope text;

-- The creates already in the log take their actor as their scope. The log is append-only; this
-- migration lifts the guard inside its own transaction for this one column, which no hash covers.
ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete;
UPDATE events SET idempotency_scope = convert_from(metadata, 'UTF8')::jsonb ->> 'actor'
WHERE event_type = 'RemittanceCreated' AND idempotency_key IS NOT NULL;
ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete;
UPDATE quarantined_events SET idempotency_scope = convert_from(metadata, 'UTF8')::jsonb ->> 'actor'
WHERE event_type = 'RemittanceCreated' AND idempotency_key IS NOT NULL;

DROP INDEX events_idempotency_key;
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key, idempotency_scope) NULLS NOT DISTINCT
    WHERE idempotency_key IS NOT NULL;

-- The quarantine keeps the scope with the key (0006's trigger, one column more).
CREATE OR REPLACE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fork text := current_setting('remit.quarantine_after', true);
BEGIN
    IF TG_OP = 'DELETE' AND fork ~ '^[0-9]+$' AND OLD.position > fork::bigint THEN
        INSERT INTO quarantined_events (position, epoch, stream_id, stream_version, event_type, payload, metadata,
                                        idempotency_key, idempotency_scope, recorded_at_us, hash, fork_position)
        VALUES (OLD.position, OLD.epoch, OLD.stream_id, OLD.stream_version, OLD.event_type, OLD.payload, OLD.metadata,
                OLD.idempotency_key, OLD.idempotency_scope, OLD.recorded_at_us, OLD.hash, fork::bigint);
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the event log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
