-- Ferry MMSC store, schema 1.

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    sender          TEXT    NOT NULL,
    sender_hidden   INTEGER NOT NULL,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    subject         TEXT,
    message_class   TEXT,
    priority        TEXT,
    date            INTEGER NOT NULL,
    expiry          INTEGER NOT NULL,
    delivery_report INTEGER NOT NULL,
    read_report     INTEGER NOT NULL,
    -- name of the body file in the body directory (random hex)
    body_key        TEXT    NOT NULL UNIQUE,
    -- NULL while the body is stored; set when garbage collection removed it
    body_removed_at INTEGER,
    -- number of recipients not yet final (kept by the store, drives GC)
    live_recipients INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_expiry ON messages (expiry) WHERE live_recipients > 0;
CREATE INDEX messages_collectable ON messages (id) WHERE live_recipients = 0 AND body_removed_at IS NULL;
CREATE INDEX messages_removed ON messages (body_removed_at) WHERE body_removed_at IS NOT NULL;

CREATE TABLE recipients (
    id              INTEGER PRIMARY KEY,
    message         INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    address         TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('msisdn', 'email', 'other')),
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'notified', 'deferred', 'retrieved',
                        'rejected', 'unrecognised', 'expired', 'forwarded', 'failed')),
    reason          TEXT,
    token           TEXT    NOT NULL UNIQUE,
    transaction_id  TEXT    UNIQUE,
    notify_attempts INTEGER NOT NULL DEFAULT 0,
    next_notify_at  INTEGER,
    lease_until     INTEGER,
    report_allowed  INTEGER NOT NULL DEFAULT 1,
    retrieved_at    INTEGER,
    acknowledged    INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    updated_at      INTEGER NOT NULL,
    UNIQUE (message, address)
);
CREATE INDEX recipients_due ON recipients (next_notify_at)
    WHERE next_notify_at IS NOT NULL AND state IN ('pending', 'notified', 'deferred');

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('delivery', 'read')),
    message_id      TEXT    NOT NULL,
    to_address      TEXT    NOT NULL,
    from_address    TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    date            INTEGER NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX reports_due ON reports (next_attempt_at) WHERE state = 'pending';
CREATE INDEX reports_finished ON reports (finished_at) WHERE state <> 'pending';

CREATE TABLE subscribers (
    msisdn           TEXT    PRIMARY KEY,
    username         TEXT    UNIQUE,
    password_hash    TEXT,
    may_send         INTEGER NOT NULL,
    may_hide_sender  INTEGER NOT NULL,
    max_message_size INTEGER,
    profile          TEXT,
    created_at       INTEGER NOT NULL
);
