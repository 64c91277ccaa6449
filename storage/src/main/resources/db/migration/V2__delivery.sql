-- The delivery queue. A recipient row exists only while it still needs delivering: state 0 queued, 1 in flight
-- (claimed_by names the node). Final recipients are deleted, their history lives in event; a message row goes
-- with its last recipient.
ALTER TABLE recipient ADD COLUMN priority smallint NOT NULL DEFAULT 0;  -- copied from message.priority
ALTER TABLE recipient ADD COLUMN claimed_by text;
UPDATE recipient r SET priority = m.priority FROM message m WHERE m.id = r.message_id AND r.priority <> m.priority;
ALTER TABLE recipient ADD CONSTRAINT recipient_state CHECK (state IN (0, 1) AND (state = 1) = (claimed_by IS NOT NULL));

-- claims take transactional before bulk, then oldest due first, using only queued rows
DROP INDEX recipient_due;
CREATE INDEX recipient_due ON recipient (priority, next_attempt_at) WHERE state = 0;
-- releasing a node's claims (restart, stale node) touches only its in-flight rows
CREATE INDEX recipient_claimed ON recipient (claimed_by) WHERE state = 1;

-- Every state change. No foreign key: events outlive their message.
CREATE TABLE event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    message_id uuid NOT NULL,
    recipient text,                      -- null for message-level events (accepted)
    kind smallint NOT NULL,              -- 1 accepted, 2 delivered, 3 deferred, 4 bounced, 5 expired
    attempt integer,                     -- the attempt this event reports (null for accepted, expired)
    remote_host text,
    reply text
);
CREATE INDEX event_message ON event (message_id);
CREATE INDEX event_at ON event (at);

-- Liveness of relay nodes sharing this database: claims of a node silent for too long are released.
CREATE TABLE relay_node (
    name text PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL
);
