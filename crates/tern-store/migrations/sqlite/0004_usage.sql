-- Keys for integrators (the mobile network), and usage records with the
-- reminders they trigger.

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- network
    role       TEXT NOT NULL,
    -- SHA-256 of the key, hex; the key itself is shown once and never stored.
    key_hash   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- One row per usage record the network sent; a replayed event id is
-- ignored. No foreign key: records for unknown ICCIDs are kept too.
CREATE TABLE usage_events (
    event_id    TEXT PRIMARY KEY,
    iccid       TEXT NOT NULL,
    -- data (bytes), voice (seconds), sms (count)
    kind        TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    country     TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    -- The package that paid (the first, when several shared the record).
    package_id  TEXT,
    -- What no package covered.
    overage     INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL
);
CREATE INDEX usage_events_iccid ON usage_events(iccid, occurred_at);

-- When each reminder went out (NULL: not yet), so each goes out once.
ALTER TABLE packages ADD COLUMN notified_80_at INTEGER;
ALTER TABLE packages ADD COLUMN notified_100_at INTEGER;
ALTER TABLE packages ADD COLUMN notified_expiry_at INTEGER;
CREATE INDEX packages_expiry ON packages(state, expires_at);
