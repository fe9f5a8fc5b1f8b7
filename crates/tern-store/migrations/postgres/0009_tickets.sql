-- Support tickets and their messages. A ticket belongs to one account and
-- may point at one of that account's orders or eSIMs. Times are Unix ms;
-- first_response_at (the first staff message) and resolved_at (the last
-- move to resolved, cleared when a user reply reopens it) give the
-- first-response and resolution times.
-- Closure erases the text (subject and bodies become '' and erased_at is
-- set) but keeps the rows, so the queue's figures stay true; no foreign
-- key to accounts (the erased account's row is a tombstone).
CREATE TABLE tickets (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL,
    -- billing, installation, connectivity, account_closure, other
    category          TEXT NOT NULL,
    subject           TEXT NOT NULL,
    -- open, waiting_on_customer, resolved, closed
    state             TEXT NOT NULL,
    order_id          TEXT,
    iccid             TEXT,
    -- A support or admin account.
    assignee_id       TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    last_message_at   BIGINT NOT NULL,
    first_response_at BIGINT,
    resolved_at       BIGINT,
    closed_at         BIGINT,
    erased_at         BIGINT
);
CREATE INDEX tickets_account ON tickets(account_id, created_at);
CREATE INDEX tickets_queue ON tickets(state, last_message_at);
CREATE INDEX tickets_created ON tickets(created_at);

CREATE TABLE ticket_messages (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    author_id  TEXT NOT NULL,
    -- 1 when written by support or admin staff.
    from_staff BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, created_at);
