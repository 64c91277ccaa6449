-- Queue administration and operator suspensions.

-- The site (provider) a recipient was last routed to, written back with deferrals and holds; null until its first
-- routing. The admin summary groups by it, and resuming a site makes its recipients due again.
ALTER TABLE recipient ADD COLUMN site text;
CREATE INDEX recipient_site ON recipient (site) WHERE state = 0 AND site IS NOT NULL;

-- A site suspended by an operator: no node starts a delivery to it before `until` (null: until resumed). Kept here,
-- not in a node's memory, so it holds on every node and across restarts.
CREATE TABLE site_suspension (
    site text PRIMARY KEY,
    until timestamptz,
    reason text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- New event kinds: 6 held (its site is suspended; back to the queue without an attempt), 7 bounced by an operator,
-- 8 deleted by an operator, 9 flushed (next attempt moved to now by an operator), 10 site suspended, 11 site resumed.
-- Site events name a site and no message; `actor` names the operator of an admin action.
ALTER TABLE event ALTER COLUMN message_id DROP NOT NULL;
ALTER TABLE event ADD COLUMN site text;
ALTER TABLE event ADD COLUMN actor text;
