-- Connected systems (issue 15): the applications that submit mail, their SMTP credentials and the domains they may
-- send as. Every node reads all three tables into one snapshot every systems.refresh_interval (see PgSystems).

-- default_lane: the priority lane of a message without an explicit priority header.
-- dkim_sign_as_system_domain: read by the DKIM signer (sign with the system's first domain when the header From
-- domain has no key); kept here so one row says everything about the system.
CREATE TABLE system (
    name text PRIMARY KEY,
    active boolean NOT NULL DEFAULT true,
    default_lane text NOT NULL DEFAULT 'transactional',
    notes text,
    dkim_sign_as_system_domain boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (default_lane IN ('transactional', 'bulk')),
    CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$')
);

-- One row per SMTP credential. A revoked credential keeps its row (and its username, which is never reused) so the
-- history of who could log in stays readable; only rows with revoked_at NULL authenticate.
CREATE TABLE credential (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system text NOT NULL REFERENCES system(name) ON DELETE CASCADE,
    username text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX credential_system ON credential (system);

-- A domain belongs to one system at most: one customer cannot send as another. include_subdomains: the system may
-- also use any name below it. list_help: the URL of the List-Help field (RFC 2369) added to its messages.
CREATE TABLE sending_domain (
    domain text PRIMARY KEY,
    system text NOT NULL REFERENCES system(name) ON DELETE CASCADE,
    include_subdomains boolean NOT NULL DEFAULT false,
    list_help text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (domain = lower(domain)),
    CHECK (list_help IS NULL OR list_help ~ '^(https:|mailto:)')
);
CREATE INDEX sending_domain_system ON sending_domain (system);
