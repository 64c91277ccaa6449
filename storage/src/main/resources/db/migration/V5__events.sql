-- The event table, partitioned by day (UTC) on `at`, so retention drops a whole partition instead of deleting rows
-- one by one; and the rollups that statistics read, which outlive the partitions. The relay's partition job
-- (EventPartitions) creates days ahead and drops days past `events.retention`; the default partition takes any row
-- no day partition covers, so an insert never fails for a missing partition.
ALTER TABLE event RENAME TO event_unpartitioned;
ALTER INDEX event_message RENAME TO event_unpartitioned_message;
ALTER INDEX event_at RENAME TO event_unpartitioned_at;

-- A plain sequence rather than an identity column: it survives the swap and keeps ids increasing across it.
CREATE SEQUENCE event_seq AS bigint;
SELECT setval('event_seq', coalesce((SELECT max(id) FROM event_unpartitioned), 0) + 1, false);

-- The primary key must contain the partition key.
CREATE TABLE event (
    id bigint NOT NULL DEFAULT nextval('event_seq'),
    at timestamptz NOT NULL DEFAULT now(),
    message_id uuid,
    recipient text,                      -- null for message-level and site events
    kind smallint NOT NULL,              -- EventKind codes
    attempt integer,
    remote_host text,
    reply text,
    site text,
    actor text,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE event_seq OWNED BY event.id;
CREATE INDEX event_message ON event (message_id);
CREATE INDEX event_at ON event (at);
-- contact history: one address across messages, newest first, keyset paging on id
CREATE INDEX event_recipient ON event (lower(recipient), id DESC) WHERE recipient IS NOT NULL;
CREATE TABLE event_default PARTITION OF event DEFAULT;

-- A day partition for every day holding rows and for today and the next 7 days, then the rows themselves.
DO $$
DECLARE d date;
BEGIN
    FOR d IN SELECT DISTINCT (at AT TIME ZONE 'UTC')::date FROM event_unpartitioned
             UNION SELECT (now() AT TIME ZONE 'UTC')::date + i FROM generate_series(0, 7) i
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF event FOR VALUES FROM (%L) TO (%L)',
                'event_p' || to_char(d, 'YYYYMMDD'),
                (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
    END LOOP;
END $$;
INSERT INTO event(id, at, message_id, recipient, kind, attempt, remote_host, reply, site, actor)
    SELECT id, at, message_id, recipient, kind, attempt, remote_host, reply, site, actor FROM event_unpartitioned;
DROP TABLE event_unpartitioned;

-- Counts per sender (the AUTH user, '' without one), UTC hour and event kind. `slot` spreads concurrent writers
-- of one hot (sender, hour, kind) over several rows, so two committers do not queue on one row lock until the
-- other's COMMIT; readers sum over slots.
CREATE TABLE event_rollup (
    sender text NOT NULL,
    hour timestamptz NOT NULL,
    kind smallint NOT NULL,
    slot smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (sender, hour, kind, slot)
);
CREATE INDEX event_rollup_hour ON event_rollup (hour);
-- counts of the events kept through the migration (the rows no longer name their message's sender: '' unless the
-- message is still queued)
INSERT INTO event_rollup(sender, hour, kind, slot, n)
    SELECT coalesce(m.account, ''), date_trunc('hour', e.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', e.kind, 0,
           count(*)
    FROM event e LEFT JOIN message m ON m.id = e.message_id
    WHERE e.message_id IS NOT NULL
    GROUP BY 1, 2, 3;
