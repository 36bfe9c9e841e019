-- A consultation corrected after it was recorded keeps what it said before: one row per
-- correction, the earlier text as JSON, who corrected it, when and why.
CREATE TABLE consultation_revisions (
    id INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    previous TEXT NOT NULL,
    reason TEXT,
    revised_by INTEGER REFERENCES users (id),
    revised_at TEXT NOT NULL
);
CREATE INDEX consultation_revisions_consultation ON consultation_revisions (consultation_id, id);

-- A long form's draft, one per user and form (its address), kept on the server while it is
-- typed so a closed tab or a dropped connection loses nothing: the fields as a JSON array of
-- [name, value] pairs. Gone when the form is sent or the user discards it.
CREATE TABLE drafts (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    form_key TEXT NOT NULL,
    fields TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (user_id, form_key)
);
