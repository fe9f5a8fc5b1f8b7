-- TOTP two-factor (RFC 6238). One factor per account: the shared secret
-- is sealed with XChaCha20-Poly1305 under a key derived from the server
-- secret and the account id, so a copy of the database alone cannot make
-- codes. `enabled_at` is NULL while the owner is still enrolling (the
-- secret was shown but no code confirmed yet). `last_step` is the 30-second
-- step of the last code accepted: a code works once.
CREATE TABLE totp_factors (
    account_id    TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    enabled_at    INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Ten single-use recovery codes per enabled factor, stored as keyed
-- hashes (HMAC-SHA256 under the server secret); the codes themselves are
-- shown once.
CREATE TABLE totp_recovery_codes (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE UNIQUE INDEX totp_recovery_codes_hash ON totp_recovery_codes(account_id, code_hash);
