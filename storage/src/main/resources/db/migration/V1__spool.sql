CREATE TABLE message (
    id uuid PRIMARY KEY,
    reverse_path text NOT NULL,          -- '' for the null reverse path <>
    account text,
    priority smallint NOT NULL,          -- 0 transactional, 1 bulk
    received_at timestamptz NOT NULL,
    size integer NOT NULL,
    body_8bit boolean NOT NULL,
    smtputf8 boolean NOT NULL,
    client_address text NOT NULL,
    helo text NOT NULL,
    content bytea NOT NULL
);
-- mail is often already compressed: store out of line without pglz
ALTER TABLE message ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE TABLE recipient (
    message_id uuid NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    idx smallint NOT NULL,
    address text NOT NULL,
    domain text NOT NULL,                -- lower case
    state smallint NOT NULL DEFAULT 0,   -- 0 queued
    next_attempt_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_reply text,
    PRIMARY KEY (message_id, idx)
);
CREATE INDEX recipient_due ON recipient (next_attempt_at) WHERE state = 0;
CREATE INDEX recipient_domain ON recipient (domain);
