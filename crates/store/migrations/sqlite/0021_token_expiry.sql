-- API tokens expire (90 days unless chosen otherwise). Tokens issued before get 90 days from
-- this upgrade, so no integration stops at once.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days')
    WHERE expires_at IS NULL AND revoked_at IS NULL;
