-- Documents attached to a child (scanned consent forms, medical reports, assessments). The bytes
-- live in the attachment store (local disk by default), named by a random key; only the record
-- of them is here.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    -- A child's document, or a consultation's (an anonymous one gets its child when linked).
    child_id INTEGER REFERENCES children (id),
    consultation_id INTEGER REFERENCES consultations (id),
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by INTEGER REFERENCES users (id),
    uploaded_at TEXT NOT NULL,
    CHECK (child_id IS NOT NULL OR consultation_id IS NOT NULL)
);
CREATE INDEX attachments_child ON attachments (child_id);
CREATE INDEX attachments_consultation ON attachments (consultation_id);

-- The scanned consent form of a consent.
ALTER TABLE consents ADD COLUMN attachment_id INTEGER REFERENCES attachments (id);
