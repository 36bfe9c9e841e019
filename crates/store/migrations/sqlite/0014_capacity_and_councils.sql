-- Capacity building (療育技術・支援資質の向上): visits to nurseries, schools and providers
-- (巡回相談・施設支援) and training sessions (研修会) with participating agencies and headcounts;
-- council meetings (協議会) with attendees; and the challenges log (課題整理), which never holds a
-- child's identity.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    visited_on TEXT NOT NULL,
    visitors TEXT NOT NULL,
    purpose TEXT NOT NULL,
    advice TEXT,
    follow_up_on TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX visits_area_on ON visits (area_id, visited_on);
CREATE INDEX visits_agency ON visits (agency_id, visited_on);

-- Children discussed at a visit (optional; only children the coordinator may see).
CREATE TABLE visit_children (
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    child_id INTEGER NOT NULL REFERENCES children (id),
    PRIMARY KEY (visit_id, child_id)
);
CREATE INDEX visit_children_child ON visit_children (child_id);

CREATE TABLE training_topics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);
INSERT INTO training_topics (name, sort_order) VALUES
    ('発達障害の理解', 1),
    ('行動の理解と支援（応用行動分析など）', 2),
    ('ことば・コミュニケーションの支援', 3),
    ('就学・移行期の支援', 4),
    ('保護者支援・家族支援', 5),
    ('医療的ケア児の支援', 6),
    ('個別の支援計画の作り方', 7),
    ('その他', 99);

CREATE TABLE trainings (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    title TEXT NOT NULL,
    topic_id INTEGER REFERENCES training_topics (id),
    held_on TEXT NOT NULL,
    place TEXT,
    lecturer TEXT,
    -- Share of participants who answered 満足・やや満足, in percent (optional).
    satisfaction INTEGER CHECK (satisfaction BETWEEN 0 AND 100),
    note TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX trainings_area_on ON trainings (area_id, held_on);

CREATE TABLE training_participants (
    id INTEGER PRIMARY KEY,
    training_id INTEGER NOT NULL REFERENCES trainings (id),
    agency_id INTEGER REFERENCES agencies (id),
    -- Who came when not an agency of the directory (保護者, 個人参加…).
    name TEXT NOT NULL DEFAULT '',
    headcount INTEGER NOT NULL CHECK (headcount > 0)
);
CREATE INDEX training_participants_training ON training_participants (training_id);
CREATE INDEX training_participants_agency ON training_participants (agency_id);

CREATE TABLE council_meetings (
    id INTEGER PRIMARY KEY,
    council_id INTEGER NOT NULL REFERENCES councils (id),
    held_on TEXT NOT NULL,
    place TEXT,
    agenda TEXT,
    minutes TEXT,
    decisions TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX council_meetings_council ON council_meetings (council_id, held_on);
CREATE INDEX council_meetings_on ON council_meetings (held_on);

CREATE TABLE council_meeting_attendees (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES council_meetings (id),
    agency_id INTEGER REFERENCES agencies (id),
    name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX council_meeting_attendees_meeting ON council_meeting_attendees (meeting_id);

CREATE TABLE challenges (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('resources', 'cooperation', 'procedures', 'personnel', 'information', 'other')),
    raised_by INTEGER REFERENCES users (id),
    raised_on TEXT NOT NULL,
    council_id INTEGER REFERENCES councils (id),
    council_meeting_id INTEGER REFERENCES council_meetings (id),
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'discussing', 'acting', 'resolved', 'continuing')),
    resolution TEXT,
    resolved_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX challenges_area ON challenges (area_id, status);
CREATE INDEX challenges_raised_on ON challenges (raised_on);
CREATE INDEX challenges_meeting ON challenges (council_meeting_id);

CREATE TABLE challenge_history (
    id INTEGER PRIMARY KEY,
    challenge_id INTEGER NOT NULL REFERENCES challenges (id),
    status TEXT NOT NULL,
    note TEXT,
    user_id INTEGER REFERENCES users (id),
    at TEXT NOT NULL
);
CREATE INDEX challenge_history_challenge ON challenge_history (challenge_id, at);

-- The evaluation counts by date within an area.
CREATE INDEX children_area_created ON children (area_id, created_at);
CREATE INDEX referrals_created ON referrals (created_at);
