-- Documents attached to a child (scanned consent forms, medical reports, assessments). The bytes
-- live in the attachment store (local disk by default), named by a random key; only the record
-- of them is here.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    consultation_id INTEGER REFERENCES consultations (id),
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by INTEGER REFERENCES users (id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX attachments_child ON attachments (child_id);
