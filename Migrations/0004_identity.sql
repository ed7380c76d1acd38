-- Who may do what: users, refresh tokens, token signing keys and the audit log.
--
-- Replication (to come) ships what changed since a revision: every insert or update of a user
-- or a public signing key takes the next value of identity_revision. Rows are never deleted
-- (users are disabled, keys retired), so "changed since N" is the whole story. Private key
-- halves and refresh tokens live in tables of their own that are never shipped: a region signs
-- only with keys it made, and a refresh token is redeemed where it was issued.

CREATE SEQUENCE identity_revision;

CREATE FUNCTION identity_next_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := nextval('identity_revision');
    RETURN NEW;
END;
$$;

CREATE FUNCTION rows_are_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% keeps its rows: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TABLE users (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9._-]{0,63}$'),
    -- bcrypt's modular crypt format; never selected by anything that answers a request with it.
    password_hash text NOT NULL CHECK (password_hash ~ '^\$2[aby]\$[0-9]{2}\$'),
    roles         text[] NOT NULL CHECK (cardinality(roles) > 0
                      AND roles <@ ARRAY['clerk', 'auditor', 'operator', 'admin']::text[]),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    revision      bigint NOT NULL DEFAULT 0
);

CREATE TRIGGER users_revision BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION identity_next_revision();
CREATE TRIGGER users_kept BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION rows_are_kept();
CREATE TRIGGER users_kept_truncate BEFORE TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION rows_are_kept();

-- One row per refresh token ever issued. A family is one sign-in and every rotation of it:
-- presenting a token that was already used revokes the whole family (RFC 6819 §5.2.2.3).
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    family      uuid NOT NULL,
    user_name   text NOT NULL REFERENCES users (name),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_name) WHERE revoked_at IS NULL;

-- Public halves, published at /.well-known/jwks.json by every region.
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    region      text NOT NULL,
    algorithm   text NOT NULL CHECK (algorithm = 'ES256'),
    public_jwk  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when a newer key takes over signing; the key still verifies until the tokens it
    -- signed have expired.
    retired_at  timestamptz,
    revision    bigint NOT NULL DEFAULT 0
);
CREATE TRIGGER signing_keys_revision BEFORE INSERT OR UPDATE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION identity_next_revision();
-- One signing key per region at a time.
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (region) WHERE retired_at IS NULL;

CREATE TABLE signing_key_secrets (
    kid          text PRIMARY KEY REFERENCES signing_keys (kid),
    private_pem  text NOT NULL
);

-- Every admin and operator action: who, when, from where, what, and how it ended. Append-only.
CREATE TABLE audit_log (
    position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    region       text NOT NULL,
    actor        text NOT NULL,
    source       text NOT NULL,
    action       text NOT NULL,
    target       text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('succeeded', 'refused', 'failed')),
    detail       text NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION rows_are_kept();
CREATE TRIGGER audit_log_append_only_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION rows_are_kept();
