-- Referrals (つなぎ): a child connected to an agency, followed until the agency answers.
CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    reason TEXT NOT NULL,
    desired_on TEXT,
    -- The parts of the record sent with it (codes, comma-separated), within the consent.
    parts TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'completed', 'cancelled')),
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    answered_by INTEGER REFERENCES users (id),
    answered_at TEXT,
    decline_reason TEXT,
    completed_at TEXT,
    outcome TEXT,
    cancelled_at TEXT
);
CREATE INDEX referrals_agency_state ON referrals (agency_id, state);
CREATE INDEX referrals_child ON referrals (child_id);
CREATE INDEX referrals_state_created ON referrals (state, created_at);
