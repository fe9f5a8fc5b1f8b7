-- The operator console: manual wallet adjustments (with the operator's
-- reason, which closure erases) and indexes for searching accounts and for
-- the dashboard's per-day figures over the last 30 days.

CREATE TABLE wallet_adjustments (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    -- The staff account that made it.
    actor_id       TEXT NOT NULL,
    -- Positive: credit; negative: debit.
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    -- cash or promo
    bucket         TEXT NOT NULL,
    -- Free text written by the operator; set to NULL when the account is erased.
    reason         TEXT,
    transaction_id TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX wallet_adjustments_account ON wallet_adjustments(account_id, created_at);

CREATE INDEX accounts_phone ON accounts(phone);
CREATE INDEX accounts_created ON accounts(created_at);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX top_ups_updated ON top_ups(state, updated_at);
CREATE INDEX usage_events_occurred ON usage_events(occurred_at);
CREATE INDEX esims_state ON esims(state);
CREATE INDEX refunds_state ON refunds(state, created_at);
