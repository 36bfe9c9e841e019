-- Support meetings (支援会議) about a child: participants and attendance, agenda, minutes,
-- decisions, and the action items decided there.
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    area_id INTEGER NOT NULL REFERENCES areas (id),
    purpose TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    place TEXT,
    online_url TEXT,
    agenda TEXT,
    minutes TEXT,
    decisions TEXT,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'held', 'cancelled')),
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX meetings_child ON meetings (child_id, starts_at);
CREATE INDEX meetings_area_start ON meetings (area_id, starts_at);

CREATE TABLE meeting_participants (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    agency_id INTEGER REFERENCES agencies (id),
    name TEXT NOT NULL,
    role TEXT,
    attended INTEGER
);
CREATE INDEX meeting_participants_meeting ON meeting_participants (meeting_id);
CREATE INDEX meeting_participants_agency ON meeting_participants (agency_id);

CREATE TABLE action_items (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id),
    child_id INTEGER NOT NULL REFERENCES children (id),
    title TEXT NOT NULL,
    owner_agency_id INTEGER REFERENCES agencies (id),
    owner_name TEXT,
    due_on TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX action_items_meeting ON action_items (meeting_id);
CREATE INDEX action_items_open_due ON action_items (status, due_on);
CREATE INDEX action_items_owner ON action_items (owner_agency_id, status);
