-- "These two records may be the same child": raised by a person, decided by a coordinator
-- (merged, or recorded as different children). Nothing is ever merged automatically.
CREATE TABLE duplicate_flags (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    other_child_id INTEGER NOT NULL REFERENCES children (id),
    note TEXT,
    raised_by INTEGER REFERENCES users (id),
    raised_at TEXT NOT NULL,
    decision TEXT CHECK (decision IN ('merged', 'distinct')),
    decided_by INTEGER REFERENCES users (id),
    decided_at TEXT
);
CREATE INDEX duplicate_flags_child ON duplicate_flags (child_id);
CREATE INDEX duplicate_flags_other ON duplicate_flags (other_child_id);
