-- People and areas as they are: a coordinator's placement (専任 or 兼務 with a share of time),
-- background (医療型・福祉型) and absence; who runs an area (委託先) and its eligibility note and
-- caseload limit; each child's responsible coordinator and deputy (担当・副担当); the time a
-- meeting or visit took; transfers of a child between areas (移管), which end the consents that
-- named the old area's agencies; and secondary difficulties (二次障害) followed on the child.
CREATE TABLE coordinator_staffing (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    placement TEXT NOT NULL DEFAULT 'dedicated' CHECK (placement IN ('dedicated', 'concurrent')),
    -- Percent of a full-time post; NULL for a dedicated placement (all of it).
    time_share INTEGER CHECK (time_share IS NULL OR (time_share BETWEEN 1 AND 100)),
    background TEXT NOT NULL DEFAULT 'welfare' CHECK (background IN ('medical', 'welfare', 'other')),
    absent_from TEXT,
    absent_to TEXT,
    absence_note TEXT,
    updated_at TEXT NOT NULL
);

ALTER TABLE areas ADD COLUMN operator_kind TEXT NOT NULL DEFAULT 'municipal'
    CHECK (operator_kind IN ('municipal', 'entrusted'));
ALTER TABLE areas ADD COLUMN operator_name TEXT;
ALTER TABLE areas ADD COLUMN eligibility_note TEXT;
-- Active children one full-time coordinator should carry at most; a 兼務 share scales it.
ALTER TABLE areas ADD COLUMN caseload_limit INTEGER;

ALTER TABLE children ADD COLUMN lead_coordinator_id INTEGER REFERENCES users (id);
ALTER TABLE children ADD COLUMN deputy_coordinator_id INTEGER REFERENCES users (id);
CREATE INDEX children_lead ON children (lead_coordinator_id, status);
CREATE INDEX children_deputy ON children (deputy_coordinator_id);

ALTER TABLE meetings ADD COLUMN spent_minutes INTEGER;
ALTER TABLE visits ADD COLUMN spent_minutes INTEGER;
CREATE INDEX consultations_created_by ON consultations (created_by, at);
CREATE INDEX visits_created_by ON visits (created_by, visited_on);
CREATE INDEX meetings_created_by ON meetings (created_by, starts_at);
CREATE INDEX referrals_created_by ON referrals (created_by, state);

CREATE TABLE child_transfers (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    from_area_id INTEGER NOT NULL REFERENCES areas (id),
    to_area_id INTEGER NOT NULL REFERENCES areas (id),
    to_municipality_id INTEGER REFERENCES municipalities (id),
    reason TEXT NOT NULL,
    family_agreed_on TEXT NOT NULL,
    family_agreement TEXT,
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted', 'declined', 'withdrawn')),
    proposed_by INTEGER REFERENCES users (id),
    proposed_at TEXT NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decided_at TEXT,
    decision_note TEXT
);
CREATE INDEX child_transfers_to ON child_transfers (to_area_id, status);
CREATE INDEX child_transfers_from ON child_transfers (from_area_id, status);
CREATE INDEX child_transfers_child ON child_transfers (child_id);

ALTER TABLE consents ADD COLUMN ended_by_transfer_id INTEGER REFERENCES child_transfers (id);

CREATE TABLE secondary_difficulties (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    kind TEXT NOT NULL CHECK (kind IN ('school_refusal', 'self_harm', 'depression', 'anxiety', 'behaviour', 'other')),
    detail TEXT,
    onset_on TEXT,
    status TEXT NOT NULL DEFAULT 'watching' CHECK (status IN ('watching', 'supporting', 'eased', 'resolved')),
    followed_by_member_id INTEGER REFERENCES care_team_members (id),
    note TEXT,
    -- Whether the family agreed to it being in the support file they carry.
    in_support_file INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX secondary_difficulties_child ON secondary_difficulties (child_id);
