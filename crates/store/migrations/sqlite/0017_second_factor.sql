-- A second factor for logging in (TOTP, RFC 6238): the secret while enrolling and after, when
-- it was confirmed, and the last time step accepted (a code is good once). Recovery codes are
-- kept only as SHA-256. A session opened by the password alone waits for the second factor.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

ALTER TABLE sessions ADD COLUMN second_factor_pending INTEGER NOT NULL DEFAULT 0;
