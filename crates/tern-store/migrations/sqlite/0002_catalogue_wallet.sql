-- Catalogue, wallet ledger, vouchers, orders, idempotency keys.
-- Money is integer minor units with its currency beside it.

CREATE TABLE plans (
    code       TEXT PRIMARY KEY,
    -- Space-padded, space-separated country codes (" JP KR ") so that
    -- "covers JP" is a LIKE '% JP %' on both databases.
    countries  TEXT NOT NULL,
    region     TEXT NOT NULL,
    active     INTEGER NOT NULL,
    -- The validated plan as JSON (tern_domain::catalogue::Plan).
    doc        TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX plans_active ON plans(active, region);

-- Double-entry ledger. A ledger account is a wallet (cash or promotional
-- credit of one user in one currency) or a system account (voucher
-- liability, payment gateway, revenue, refunds). Every transaction's
-- entries sum to zero; `balance_minor` is a cache of the entries' sum that
-- lets "never below zero" be one conditional UPDATE.
CREATE TABLE ledger_accounts (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT,
    kind          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    balance_minor INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX ledger_accounts_owner ON ledger_accounts(owner_id);

CREATE TABLE ledger_transactions (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    -- What caused it (order id, voucher id, closure id); with `kind`, unique
    -- so the same cause can never move money twice.
    reference  TEXT NOT NULL,
    memo       TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, reference)
);

CREATE TABLE ledger_entries (
    id                TEXT PRIMARY KEY,
    transaction_id    TEXT NOT NULL REFERENCES ledger_transactions(id),
    ledger_account_id TEXT NOT NULL REFERENCES ledger_accounts(id),
    amount_minor      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries(ledger_account_id, created_at);
CREATE INDEX ledger_entries_tx ON ledger_entries(transaction_id);

CREATE TABLE vouchers (
    code        TEXT PRIMARY KEY,
    batch       TEXT NOT NULL,
    value_minor INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    -- cash (refundable at closure) or promo (not refundable)
    kind        TEXT NOT NULL,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    redeemed_by TEXT,
    redeemed_at INTEGER
);

CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    plan_code      TEXT NOT NULL,
    iccid          TEXT,
    kind           TEXT NOT NULL,
    state          TEXT NOT NULL,
    price_minor    INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    failure_reason TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX orders_account ON orders(account_id, created_at);

-- Idempotency-Key handling: the first response to a key is kept and
-- replayed; the same key with another request body is refused.
CREATE TABLE idempotency_keys (
    account_id    TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER NOT NULL,
    response      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);
