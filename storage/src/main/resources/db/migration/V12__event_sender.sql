-- Per-system history (issue 17): from here on the accepted event of each message names its sender as well (the
-- column is V9's, until now written by the delivery write-back only: '' without AUTH), so a connected system's view
-- of a message or an address ("events of messages an event of which names me", through event_message) holds from
-- the first event on, long after the message row itself is gone. The accepted events of messages still queued get
-- their sender now; older ones are found through their outcome events.
UPDATE event e SET sender = coalesce(m.account, '') FROM message m
    WHERE m.id = e.message_id AND e.kind = 1 AND e.sender IS NULL;
