-- Wallet top-ups through a payment gateway (a sandbox ships for development).
CREATE TABLE top_ups (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    gateway        TEXT NOT NULL,
    -- pending → succeeded | failed; succeeded → refunded
    state          TEXT NOT NULL,
    failure_reason TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX top_ups_account ON top_ups(account_id, created_at);
