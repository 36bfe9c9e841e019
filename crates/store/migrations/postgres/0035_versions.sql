-- A changeable record's version: its ETag in the API and the hidden field of its form. A write
-- names the version it read and is refused when the record moved since (no silent overwrite).
ALTER TABLE agencies ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
