-- Identity and the audit trail move into the hash-chained log (issue 13). Users, refresh-token
-- families and other regions' public keys become projections of the log's identity stream,
-- written in the same transaction as the events (at the writer by the append, at a reader by
-- the segment it applies); the audit trail is the log's audit stream itself. The tables of
-- 0004 are carried over: their rows are logged once by the writer's node, and a reader's own
-- rows give way to the writer's when they arrive (UsersImported).

-- Users: a projection now. A forced failover's quarantine can take events back out of the log,
-- so the view must be rebuildable, which means its rows may be deleted (by the projection only:
-- nothing else writes this table).
DROP TRIGGER users_kept ON users;
DROP TRIGGER users_kept_truncate ON users;
-- The password travels sealed in the log (CredentialSeal); the column holds what the log holds.
ALTER TABLE users DROP CONSTRAINT users_password_hash_check;
ALTER TABLE users
    -- False for a row not yet in the log: made before this migration, or the first admin.
    ADD COLUMN from_log boolean NOT NULL DEFAULT false,
    -- The log position of the event that last set the credentials (added, new password,
    -- disabled): the same in every region. A refresh token names the value it was issued
    -- under, and is refused in every region once the value moved on.
    ADD COLUMN credential_revision bigint NOT NULL DEFAULT 0;

-- Refresh tokens are signed tokens now (any region can check one); the log keeps only what a
-- redemption changes: each sign-in's family, its last generation, whether it was revoked.
DROP TABLE refresh_tokens;
CREATE TABLE refresh_families (
    family      uuid PRIMARY KEY,
    user_name   text NOT NULL,
    generation  bigint NOT NULL CHECK (generation >= 0),
    revoked     boolean NOT NULL DEFAULT false
);

-- Whether the log holds a key's publication ('published') and its retirement ('retired'): the
-- writer's node publishes its region's keys, and every region verifies tokens from its own copy.
ALTER TABLE signing_keys ADD COLUMN logged text NOT NULL DEFAULT 'none'
    CHECK (logged IN ('none', 'published', 'retired'));

-- Audit entries that could not be logged where they happened (a reader, a region cut off, or
-- written before this migration) wait here until the writer logs them under their entry id.
-- A row may leave only once the log holds it.
ALTER TABLE audit_log RENAME TO audit_outbox;
ALTER TABLE audit_outbox ADD COLUMN entry_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX audit_outbox_entry ON audit_outbox (entry_id);
DROP TRIGGER audit_log_append_only ON audit_outbox;
DROP TRIGGER audit_log_append_only_truncate ON audit_outbox;

CREATE FUNCTION audit_outbox_leaves_when_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM events WHERE idempotency_key = 'audit:' || OLD.entry_id::text) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_outbox: % of an entry the log does not hold yet is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_outbox_kept BEFORE UPDATE OR DELETE ON audit_outbox
    FOR EACH ROW EXECUTE FUNCTION audit_outbox_leaves_when_logged();
CREATE TRIGGER audit_outbox_kept_truncate BEFORE TRUNCATE ON audit_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION rows_are_kept();

-- The audit trail is read in log order from the events themselves.
CREATE INDEX events_audit ON events (position) WHERE stream_id = '00000000-0000-0000-0000-000000000002';
