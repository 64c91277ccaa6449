-- Bounce intake (issue 16): events carry the classification of a failure, and the index and sender that let a
-- bounce arriving days later, through its VERP token (message id + recipient index), find its recipient after the
-- message itself was retired.

-- On the partitioned parent: every partition, present and future, gets the columns. All nullable, no default, so
-- the ALTER only touches the catalogue (no rewrite of the existing partitions).
--   category, bounce_class: the classifier's verdict (bounce-rules.yaml) for bounced/deferred outcomes, synchronous
--     or asynchronous; null for every other kind and for rows written before V9.
--   recipient_idx: the recipient's index in its message (recipient.idx), written by the delivery write-back.
--   sender: the message's AUTH user ('' for none) written by the delivery write-back, the scope an asynchronous
--     bounce suppresses in and the sender its rollups count for.
ALTER TABLE event ADD COLUMN category text, ADD COLUMN bounce_class text, ADD COLUMN recipient_idx smallint,
    ADD COLUMN sender text;

-- Bounces the intake accepted but could not use: not a report of any kind it knows, or a valid token whose
-- recipient is no longer known (its events are past retention). Kept with the reason (and the first
-- bounces.verp.max_report_size bytes) for an operator to look at, never dropped; one event of kind 22 each counts
-- them in the statistics.
CREATE TABLE bounce_kept (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    reason text NOT NULL,
    message_id uuid,                     -- the token's message, when the token was valid
    recipient_idx smallint,
    client_address text NOT NULL,
    content bytea NOT NULL
);
ALTER TABLE bounce_kept ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX bounce_kept_received ON bounce_kept (received_at);
