-- The suppression list: addresses a sender must not mail any more, and the soft bounces counted towards one.

-- One row per (scope, address). scope is the sender it applies to (the AUTH user name until connected systems
-- exist), '*' for every sender. address is lower-cased by the writer. reason is one of hard_bounce, complaint,
-- unsubscribe, manual, soft_bounces; a later addition only replaces it with a stronger one (see PgSuppressions).
-- expires_at: null for ever; an expired row no longer suppresses and is left for an operator to see.
CREATE TABLE suppression (
    scope text NOT NULL,
    address text NOT NULL,
    reason text NOT NULL,
    category text,
    detail text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    created_by text NOT NULL,
    PRIMARY KEY (scope, address),
    CHECK (reason IN ('hard_bounce', 'complaint', 'unsubscribe', 'manual', 'soft_bounces')),
    CHECK (address = lower(address))
);
-- the lookup at RCPT asks for (scope, address) and ('*', address): the primary key serves both.
-- the listing and export page on (created_at, scope, address), the key of their cursor.
CREATE INDEX suppression_created ON suppression (created_at, scope, address);
-- "show" asks for every scope of one address.
CREATE INDEX suppression_address ON suppression (address);

-- Soft bounces per (scope, address), one row each, counted over a sliding window when the next one arrives; rows
-- older than the window are pruned then. A table of its own rather than a count over event: event rows carry no
-- scope nor bounce class, and counting them would scan a hot, ever-growing table on every soft bounce.
CREATE TABLE soft_bounce (
    scope text NOT NULL,
    address text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX soft_bounce_key ON soft_bounce (scope, address, at);

-- Event kinds 12 suppression added (or its reason raised), 13 suppression removed: recipient is the address, actor
-- who did it (an operator, or "bounce"/"complaint" for the automatic additions), reply the scope, reason and detail.
