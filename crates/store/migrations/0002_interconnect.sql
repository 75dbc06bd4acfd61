-- Ferry MMSC store, schema 2: the interconnect (MM4 to other operators,
-- MM3 to e-mail). Additive: two new tables, nothing existing changes.

-- How a recipient is served when it is not one of our subscribers (no row:
-- a local subscriber). `route` is 'sender-hosted', 'mm4', 'email' or
-- 'unroutable'; `operator` the operator's name from the routing table.
CREATE TABLE recipient_routes (
    recipient       INTEGER PRIMARY KEY REFERENCES recipients (id) ON DELETE CASCADE,
    route           TEXT    NOT NULL,
    operator        TEXT,
    created_at      INTEGER NOT NULL
);

-- The durable queue of outbound SMTP messages: MM4_forward.REQ to a peer
-- MMSC (built from the stored body when sent), e-mail to the relay (MM3,
-- likewise), and prebuilt MM4 messages (reports, .RES answers).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('mm4-forward', 'mm3', 'mm4')),
    message_id      TEXT    NOT NULL,
    -- the recipient a forward or an e-mail is for (one job per recipient)
    recipient       INTEGER UNIQUE REFERENCES recipients (id) ON DELETE CASCADE,
    -- the operator's name, or 'relay'
    destination     TEXT    NOT NULL,
    envelope_from   TEXT    NOT NULL,
    rcpt            TEXT    NOT NULL,
    transaction_id  TEXT,
    payload         BLOB,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_transaction ON outbox (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE INDEX outbox_message ON outbox (message_id);
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE state <> 'pending';
