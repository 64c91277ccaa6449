-- Webhooks: the endpoints senders register, and the durable outbox the dispatcher drains. Outbox rows are written
-- by the same statement that writes their events (RecordSql, GroupCommitSpool), so an event committed is an event
-- that will be posted; a row is deleted only after its endpoint answered 2xx.
CREATE TABLE webhook_endpoint (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender text NOT NULL,                -- the AUTH user (or connected system) whose events it gets; '*': every sender
    url text NOT NULL,
    secret text NOT NULL,                -- HMAC-SHA256 key of the Relay-Signature header
    kinds smallint[] NOT NULL,           -- EventKind codes wanted
    active boolean NOT NULL DEFAULT true,
    max_in_flight integer NOT NULL,      -- POSTs at once to this endpoint
    created timestamptz NOT NULL DEFAULT now()
);

-- One row per (endpoint, event). `due_at` doubles as the lease: a claim moves it past the request's deadline, so a
-- node that dies mid-POST leaves rows that fall due again by themselves (re-sent, never dropped). The event's own
-- fields are read from `event` at dispatch time by its primary key (id, at); `sender` is kept here because the
-- message row is gone once its last recipient is retired.
CREATE TABLE webhook_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id bigint NOT NULL REFERENCES webhook_endpoint(id) ON DELETE CASCADE,
    event_id bigint NOT NULL,
    event_at timestamptz NOT NULL,
    sender text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),  -- start of webhooks.max_age (reset by a replay)
    due_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    dead_at timestamptz                          -- dead-lettered: kept for the API and `relay webhook replay`
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (endpoint_id, due_at, id) WHERE dead_at IS NULL;
CREATE INDEX webhook_outbox_dead ON webhook_outbox (endpoint_id, id) WHERE dead_at IS NOT NULL;
