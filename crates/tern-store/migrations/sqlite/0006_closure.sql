-- Account closure: the request, its steps, the refunds it pays out, and
-- what dormant-account handling needs on accounts. Times are Unix ms.

CREATE TABLE closure_requests (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL,
    -- The account id while the request is open, NULL once completed or
    -- canceled: the UNIQUE constraint makes "one open request per account"
    -- hold even for concurrent requests.
    open_for          TEXT UNIQUE,
    -- received, cooling_off, processing, completed, canceled, on_hold
    state             TEXT NOT NULL,
    -- user, dormant, or the staff account that opened it
    requested_by      TEXT NOT NULL,
    reason_code       TEXT,
    -- Free text; erased with the account.
    reason_text       TEXT,
    export_requested  INTEGER NOT NULL,
    -- SHA-256 of the public status token.
    status_token_hash TEXT NOT NULL UNIQUE,
    received_at       INTEGER NOT NULL,
    cooling_off_until INTEGER NOT NULL,
    -- The due date as YYYY-MM-DD on the configured working-day calendar.
    due_on            TEXT NOT NULL,
    hold_reason       TEXT,
    last_error        TEXT,
    -- Email, phone and name sealed with the server key (AEAD) for the sweep
    -- step to search for; removed when the sweep is done.
    sweep_sealed      TEXT,
    -- The receipt (JSON, no personal data).
    receipt           TEXT,
    refund_minor      INTEGER,
    currency          TEXT,
    retain_until      INTEGER,
    purged_at         INTEGER,
    reminded_at       INTEGER,
    completed_at      INTEGER,
    canceled_at       INTEGER,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX closure_requests_account ON closure_requests(account_id, received_at);
CREATE INDEX closure_requests_state ON closure_requests(state, due_on);

CREATE TABLE closure_steps (
    closure_id  TEXT NOT NULL,
    step        TEXT NOT NULL,
    -- What the step did, as JSON without personal data.
    result      TEXT NOT NULL,
    done_at     INTEGER NOT NULL,
    PRIMARY KEY (closure_id, step)
);

-- Money paid back: one row per payment refunded through its gateway, and
-- one for any remainder that needs a manual payout.
CREATE TABLE refunds (
    id           TEXT PRIMARY KEY,
    closure_id   TEXT NOT NULL,
    -- The top-up refunded, or 'manual' for the remainder.
    source       TEXT NOT NULL,
    gateway      TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    -- pending → refunded (gateway) | awaiting_payout (manual)
    state        TEXT NOT NULL,
    gateway_ref  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (closure_id, source)
);

ALTER TABLE accounts ADD COLUMN erased_at INTEGER;
ALTER TABLE accounts ADD COLUMN dormant_warned_at INTEGER;
ALTER TABLE top_ups ADD COLUMN refunded_minor INTEGER NOT NULL DEFAULT 0;
