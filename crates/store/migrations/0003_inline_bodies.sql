-- Ferry MMSC store, schema 3: small message bodies inside the database.
-- Additive: a body up to the store's inline limit is a row here, written in
-- the same transaction as its message; a larger one stays a file in
-- bodies/ named by messages.body_key. A message has a row here or a file,
-- never both. Keyed by the message's rowid, so the blob sits in its own
-- overflow pages and updates of the message row never rewrite it.
CREATE TABLE bodies (
    message INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    data    BLOB    NOT NULL
);
