-- Indexes that answer from their own entries, never the tables' wide rows (docs/performance.md).

-- Search-as-you-type within an area: a two-letter reading matches by LIKE over the search keys.
CREATE INDEX children_area_search ON children (area_id, status, search_key, merged_into_id);

-- The evaluation's children by life stage, and its transitions of the year by month.
CREATE INDEX children_area_dates ON children (area_id, merged_into_id, birth_date, created_at, closed_on);
CREATE INDEX transitions_move_status ON transitions (move_on, status, child_id);

-- Children with medical care or a diagnosis, for the evaluation's children by need.
CREATE INDEX children_medical_care ON children (area_id) WHERE medical_care IS NOT NULL AND medical_care <> '';
CREATE INDEX children_diagnosed ON children (area_id) WHERE diagnoses IS NOT NULL AND diagnoses <> '';

-- The planner learns the new indexes now (a sample of each: seconds even for a prefecture).
PRAGMA analysis_limit = 1000;
ANALYZE children;
ANALYZE transitions;
