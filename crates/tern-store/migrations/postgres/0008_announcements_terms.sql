-- Announcements (policy, promotion, maintenance, terms notices) with
-- per-account read state and email deliveries, and terms versions with
-- their acceptances. Times are Unix milliseconds (UTC).

-- 1 when the traveller does not want promotional mail.
ALTER TABLE accounts ADD COLUMN promotions_opt_out BIGINT NOT NULL DEFAULT 0;
-- The newest terms version this account accepted (NULL: none). Read by the
-- sign-in query, so checking for a required version costs no extra query.
ALTER TABLE accounts ADD COLUMN terms_version BIGINT;

CREATE TABLE announcements (
    id           TEXT PRIMARY KEY,
    -- policy, promotion, maintenance, terms
    kind         TEXT NOT NULL,
    -- 1: shown as a banner until read, and emailed to the audience
    important    BIGINT NOT NULL,
    title_en     TEXT NOT NULL,
    body_en      TEXT NOT NULL,
    title_zh     TEXT NOT NULL,
    body_zh      TEXT NOT NULL,
    -- everyone, active_esim, countries (see announcement_countries)
    audience     TEXT NOT NULL,
    -- NULL while a draft
    publish_at   BIGINT,
    expires_at   BIGINT,
    -- When the last email batch was queued.
    mail_done_at BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX announcements_publish ON announcements(publish_at);

CREATE TABLE announcement_countries (
    announcement_id TEXT NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    country         TEXT NOT NULL,
    PRIMARY KEY (announcement_id, country)
);

CREATE TABLE announcement_reads (
    announcement_id TEXT NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL,
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, account_id)
);
CREATE INDEX announcement_reads_account ON announcement_reads(account_id);

-- One row per account an important announcement was mailed to (or skipped
-- for, when it opted out of promotions): the key makes a second mail for
-- the same announcement and account impossible, across retries and crashes.
CREATE TABLE announcement_deliveries (
    announcement_id TEXT NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL,
    -- queued (in the outbox) or skipped (opted out of promotions)
    state           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, account_id)
);
CREATE INDEX announcement_deliveries_account ON announcement_deliveries(account_id);

CREATE TABLE terms_versions (
    -- 1, 2, 3, … in publishing order
    version             BIGINT PRIMARY KEY,
    text_en             TEXT NOT NULL,
    text_zh             TEXT NOT NULL,
    effective_at        BIGINT NOT NULL,
    requires_acceptance BIGINT NOT NULL,
    published_by        TEXT NOT NULL,
    published_at        BIGINT NOT NULL
);

CREATE TABLE terms_acceptances (
    account_id  TEXT NOT NULL,
    version     BIGINT NOT NULL REFERENCES terms_versions(version),
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, version)
);
