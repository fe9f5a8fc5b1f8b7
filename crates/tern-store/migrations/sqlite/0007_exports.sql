-- Personal data exports: a ZIP of everything Tern holds about an account,
-- asked for by the user (at most one a day) or by an account closure (one
-- per closure). The file under data_dir/exports is encrypted with a key
-- derived from the download token; only the token's SHA-256 is stored, so
-- neither the database nor the disk can open it without the emailed link.
-- No foreign key to accounts: a closure's export outlives the erasure.
CREATE TABLE exports (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    closure_id    TEXT UNIQUE,
    -- pending → ready → expired; pending → failed
    state         TEXT NOT NULL,
    token_hash    TEXT UNIQUE,
    -- What the download is called, e.g. tern-export-2026-03-01.zip.
    file_name     TEXT,
    -- Size of the ZIP (before encryption).
    size_bytes    INTEGER,
    created_at    INTEGER NOT NULL,
    ready_at      INTEGER,
    expires_at    INTEGER,
    -- The first download.
    downloaded_at INTEGER
);
CREATE INDEX exports_account ON exports(account_id, created_at);
CREATE INDEX exports_expiry ON exports(state, expires_at);
