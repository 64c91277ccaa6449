-- Per-system history (issue 17): from here on the accepted event of each message names its sender as well (the
-- column is V9's, until now written by the delivery write-back only: '' without AUTH), so a connected system's view
-- of a message or an address ("events of messages an event of which names me", through event_message) holds from
-- the first event on, long after the message row itself is gone. The accepted events of messages still queued get
-- their sender now; older ones are found through their outcome events.
UPDATE event e SET sender = coalesce(m.account, '') FROM message m
    WHERE m.id = e.message_id AND e.kind = 1 AND e.sender IS NULL;

-- Per-minute counts (issue 17: statistics per minute, hour, day), written by the same statements as event_rollup
-- (Rollups) and kept only `events.minute_rollup_retention` (48 h by default): the hourly table stays the long record.
-- Same shape and slots as event_rollup. Starts empty: minutes before the upgrade are answered by no one.
CREATE TABLE event_rollup_minute (
    sender text NOT NULL,
    minute timestamptz NOT NULL,
    kind smallint NOT NULL,
    slot smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (sender, minute, kind, slot)
);
CREATE INDEX event_rollup_minute_minute ON event_rollup_minute (minute);
