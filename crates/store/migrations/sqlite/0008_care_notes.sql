-- Notes posted to a child's care team, and each member's first read of them (既読).
CREATE TABLE care_notes (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    author_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX care_notes_child ON care_notes (child_id, created_at);

CREATE TABLE care_note_reads (
    note_id INTEGER NOT NULL REFERENCES care_notes (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    read_at TEXT NOT NULL,
    PRIMARY KEY (note_id, user_id)
);
