-- eSIMs, the packages (plans) on them, and usage records from the network.

CREATE TABLE esims (
    iccid           TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    -- released → downloaded → installed; error; canceled; barred
    state           TEXT NOT NULL,
    smdp_address    TEXT NOT NULL,
    matching_id     TEXT NOT NULL,
    activation_code TEXT NOT NULL,
    eid             TEXT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    installed_at    BIGINT
);
CREATE INDEX esims_account ON esims(account_id);

CREATE TABLE packages (
    id                 TEXT PRIMARY KEY,
    iccid              TEXT NOT NULL REFERENCES esims(iccid),
    order_id           TEXT NOT NULL UNIQUE,
    account_id         TEXT NOT NULL,
    plan_code          TEXT NOT NULL,
    countries          TEXT NOT NULL,
    -- NULL means unlimited (with fair_use_bytes).
    data_limit_bytes   BIGINT,
    fair_use_bytes     BIGINT,
    voice_limit_seconds BIGINT NOT NULL,
    sms_limit          BIGINT NOT NULL,
    used_data_bytes    BIGINT NOT NULL DEFAULT 0,
    used_voice_seconds BIGINT NOT NULL DEFAULT 0,
    used_sms           BIGINT NOT NULL DEFAULT 0,
    activation         TEXT NOT NULL,
    validity_days      BIGINT NOT NULL,
    starts_at          BIGINT,
    expires_at         BIGINT,
    -- pending (not started) → active → expired; canceled
    state              TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX packages_iccid ON packages(iccid, state);
