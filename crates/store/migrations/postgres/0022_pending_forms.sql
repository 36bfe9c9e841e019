-- A form sent after its session ended, kept for the user who typed it until they log in again
-- (at most two hours): the fields as a JSON array of [name, value] pairs, never passwords.
CREATE TABLE pending_forms (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pending_forms_created ON pending_forms (created_at);
