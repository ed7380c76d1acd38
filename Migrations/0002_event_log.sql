-- The event log: the only source of truth. Append-only; the database itself refuses to change
-- or remove a row, so neither a bug nor a stray SQL session can rewrite history.
-- docs/ledger-format.md defines the bytes each hash covers.
CREATE TABLE events (
    position          bigint      PRIMARY KEY CHECK (position > 0),
    epoch             bigint      NOT NULL CHECK (epoch > 0),
    stream_id         uuid        NOT NULL,
    stream_version    integer     NOT NULL CHECK (stream_version > 0),
    event_type        text        NOT NULL,
    -- Payload and metadata are stored as the exact UTF-8 JSON bytes that were hashed.
    payload           bytea       NOT NULL,
    metadata          bytea       NOT NULL,
    -- A copy of the metadata's idempotency key, so that the database enforces its uniqueness.
    idempotency_key   text,
    -- Microseconds since 1970-01-01 UTC by the writer database's clock (the hashed value).
    recorded_at_us    bigint      NOT NULL,
    hash              bytea       NOT NULL CHECK (octet_length(hash) = 32),
    UNIQUE (stream_id, stream_version)
);

-- One key, one remittance, in this region and (since logs are replicated) in every region.
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();
