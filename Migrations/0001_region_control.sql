-- The region control row: which region this database belongs to, what it may do with its log
-- (writer, reader, fenced), at which epoch, and the head of its log (last position and hash).
-- Exactly one row per database. Appends lock this row, which is what later makes fencing safe.
CREATE TABLE region_state (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    region        text        NOT NULL CHECK (region ~ '^[a-z][a-z0-9-]{0,31}$'),
    role          text        NOT NULL CHECK (role IN ('writer', 'reader', 'fenced')),
    epoch         bigint      NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    head_position bigint      NOT NULL DEFAULT 0 CHECK (head_position >= 0),
    -- The hash before the first event: 32 zero bytes. Every event hash chains from it.
    head_hash     bytea       NOT NULL DEFAULT decode(repeat('00', 32), 'hex')
                              CHECK (octet_length(head_hash) = 32),
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A region's name never changes once claimed: a node pointed at another region's database
-- must not be able to rename it and take it over.
CREATE FUNCTION region_state_keep_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.region <> OLD.region THEN
        RAISE EXCEPTION 'region_state.region is %, it can not become %', OLD.region, NEW.region
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER region_state_keep_name
    BEFORE UPDATE ON region_state
    FOR EACH ROW EXECUTE FUNCTION region_state_keep_name();
