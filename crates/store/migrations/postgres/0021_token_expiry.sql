-- API tokens expire (90 days unless chosen otherwise). Tokens issued before get 90 days from
-- this upgrade, so no integration stops at once.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = date_trunc('second', now() + interval '90 days')
    WHERE expires_at IS NULL AND revoked_at IS NULL;
