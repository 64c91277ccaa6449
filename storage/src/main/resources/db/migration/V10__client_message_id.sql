-- History by the client's Message-ID (issue 17): the accepted event of each message carries the value of its
-- Message-ID header field (the client's, or the one the relay added), normalised (no angle brackets, no control
-- characters, at most 998 bytes: ClientMessageId). On the partitioned parent, nullable and without default, so the
-- ALTER only touches the catalogue; the index is partial because only accepted events have the column set.
ALTER TABLE event ADD COLUMN client_message_id text;
CREATE INDEX event_client_message_id ON event (client_message_id) WHERE client_message_id IS NOT NULL;
