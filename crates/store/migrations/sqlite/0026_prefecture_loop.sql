-- The prefecture's loop. Where a challenge came from (a support meeting's finding, a visit's,
-- a pattern in consultations, or typed), kept as a kind and a date: the meeting or visit it came
-- from is kept only to check that no child's name slips into the text, and is never shown. Its
-- raising to the prefecture's 療育支援専門部会 with the area's summary, and the committee's
-- response; each step in the history. The committee's conclusions and recommendations by
-- fiscal year.
ALTER TABLE challenges ADD COLUMN source TEXT NOT NULL DEFAULT 'typed'
    CHECK (source IN ('typed', 'support_meeting', 'visit', 'consultations'));
ALTER TABLE challenges ADD COLUMN source_on TEXT;
ALTER TABLE challenges ADD COLUMN source_meeting_id INTEGER REFERENCES meetings (id);
ALTER TABLE challenges ADD COLUMN source_visit_id INTEGER REFERENCES visits (id);
ALTER TABLE challenges ADD COLUMN prefecture_raised_on TEXT;
ALTER TABLE challenges ADD COLUMN prefecture_raised_by INTEGER REFERENCES users (id);
ALTER TABLE challenges ADD COLUMN area_summary TEXT;
ALTER TABLE challenges ADD COLUMN committee_response TEXT;
ALTER TABLE challenges ADD COLUMN committee_responded_on TEXT;
ALTER TABLE challenges ADD COLUMN committee_responded_by INTEGER REFERENCES users (id);
CREATE INDEX challenges_prefecture ON challenges (prefecture_raised_on);
-- 'status' (a change of state or a note), 'raised' (to the prefecture), 'answered' (by it).
ALTER TABLE challenge_history ADD COLUMN step TEXT NOT NULL DEFAULT 'status';

CREATE TABLE committee_conclusions (
    id INTEGER PRIMARY KEY,
    fiscal_year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('conclusion', 'recommendation')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX committee_conclusions_year ON committee_conclusions (fiscal_year, kind);
