-- DKIM keys by sending domain (issue 15). Keyed by domain name, not by connected system, so signing does not depend
-- on how systems are stored; a system's domains are looked up by name.

-- One row per (domain, selector): the DNS name selector._domainkey.domain publishes one key, so dual signing uses
-- two selectors. algorithm is the a= tag. private_key is PKCS#8 DER, AES-256-GCM sealed (12-byte nonce, then
-- ciphertext and tag) when encrypted, plain otherwise; public_key is the SubjectPublicKeyInfo DER, kept so the DNS
-- record can be printed again. A key signs from active_from until active_until (null: no end); its DNS record must
-- stay published until published_until (null: while it signs), because a stored message keeps its signature through
-- every retry.
CREATE TABLE dkim_key (
    domain text NOT NULL,
    selector text NOT NULL,
    algorithm text NOT NULL,
    private_key bytea NOT NULL,
    encrypted boolean NOT NULL,
    public_key bytea NOT NULL,
    active_from timestamptz NOT NULL DEFAULT now(),
    active_until timestamptz,
    published_until timestamptz,
    created timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, selector),
    CHECK (algorithm IN ('rsa-sha256', 'ed25519-sha256')),
    CHECK (domain = lower(domain) AND selector = lower(selector)),
    CHECK (active_until IS NULL OR active_until >= active_from)
);
