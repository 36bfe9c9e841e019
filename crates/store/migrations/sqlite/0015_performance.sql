-- What a whole prefecture's data needs to stay fast (docs/performance.md).

-- The evaluation counts consultations by (area, label, month) from index ranges alone.
CREATE INDEX consultations_area_channel_at ON consultations (area_id, channel, at);
CREATE INDEX consultations_area_requester_at ON consultations (area_id, requester, at);
DROP INDEX consultations_area_at;
CREATE INDEX consultations_area_at ON consultations (area_id, at, minutes);

-- A category link carries its consultation's area and time (written with it; a consultation's
-- area and time never change), so categories are counted the same way.
ALTER TABLE consultation_category_links ADD COLUMN area_id INTEGER REFERENCES areas (id);
ALTER TABLE consultation_category_links ADD COLUMN at TEXT;
UPDATE consultation_category_links SET
    area_id = (SELECT s.area_id FROM consultations s WHERE s.id = consultation_id),
    at = (SELECT s.at FROM consultations s WHERE s.id = consultation_id);
CREATE INDEX consultation_category_links_area_category_at
    ON consultation_category_links (area_id, category_id, at);

-- The coordinator's home page: consultations to follow up.
CREATE INDEX consultations_follow_up ON consultations (area_id, follow_up_on)
    WHERE follow_up_on IS NOT NULL;

-- Meetings held, by month; referrals by agency and state, and their waiting times.
CREATE INDEX meetings_area_status_start ON meetings (area_id, status, starts_at);
CREATE INDEX referrals_agency_state_created ON referrals (agency_id, state, created_at, child_id);
DROP INDEX referrals_state_created;
CREATE INDEX referrals_state_created ON referrals (state, created_at, answered_at, child_id);
