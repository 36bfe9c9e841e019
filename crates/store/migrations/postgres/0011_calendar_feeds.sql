-- A user's calendar subscription: a secret URL (only its SHA-256 is kept); issuing a new one
-- replaces the old.
CREATE TABLE calendar_feeds (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
