-- Views built from the log by the projector. Every value here comes from events only (never
-- from now()), so rebuilding from position 0 gives the same rows byte for byte.
CREATE TABLE projection_checkpoint (
    name      text   PRIMARY KEY,
    position  bigint NOT NULL CHECK (position >= 0)
);
INSERT INTO projection_checkpoint (name, position) VALUES ('views', 0);

CREATE TABLE remittances (
    id                  uuid        PRIMARY KEY,
    version             integer     NOT NULL,
    status              text        NOT NULL CHECK (status IN ('created', 'amended', 'cancelled')),
    sender_name         text        NOT NULL,
    sender_bank         text        NOT NULL,
    sender_account      text        NOT NULL,
    receiver_name       text        NOT NULL,
    receiver_bank       text        NOT NULL,
    receiver_account    text        NOT NULL,
    amount              bigint      NOT NULL,
    currency            text        NOT NULL,
    reference           text,
    cancellation_reason text,
    created_position    bigint      NOT NULL UNIQUE,
    created_at_us       bigint      NOT NULL,
    updated_at_us       bigint      NOT NULL
);
-- Newest first, paged by the position of creation.
CREATE INDEX remittances_status_position ON remittances (status, created_position DESC);

-- Dashboard figures. Amounts count remittances that are not cancelled.
CREATE TABLE dashboard_status (
    status  text   PRIMARY KEY,
    count   bigint NOT NULL
);

CREATE TABLE dashboard_currency (
    currency  text   PRIMARY KEY,
    count     bigint NOT NULL,
    amount    bigint NOT NULL
);

CREATE TABLE dashboard_corridor (
    sender_bank    text   NOT NULL,
    receiver_bank  text   NOT NULL,
    currency       text   NOT NULL,
    count          bigint NOT NULL,
    amount         bigint NOT NULL,
    PRIMARY KEY (sender_bank, receiver_bank, currency)
);

CREATE TABLE dashboard_minute (
    minute_us  bigint PRIMARY KEY,
    created    bigint NOT NULL
);
