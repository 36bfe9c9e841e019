-- Mail notifications: each user's address and the kinds they want (a row means "send me
-- these"), and an outbox filled in the same transaction as what it tells of, sent by the
-- server's mailer. A mail says what happened and links to it; it never names a child.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE TABLE notification_settings (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
CREATE INDEX notification_settings_kind ON notification_settings (kind, user_id);
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    what TEXT NOT NULL,
    path TEXT NOT NULL,
    -- One mail per day and item for reminders, whatever the server's restarts.
    dedupe_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX mail_outbox_unsent ON mail_outbox (sent_at, id);
-- An invited agency's answer to a meeting invitation, from its inbox.
ALTER TABLE meeting_participants ADD COLUMN reply TEXT;
ALTER TABLE meeting_participants ADD COLUMN replied_at TEXT;
