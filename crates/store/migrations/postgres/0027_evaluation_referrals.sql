-- The evaluation reads a year's referrals from this index alone (child, agency, state and
-- answer beside the creation time) and counts them by the child's area in memory.
CREATE INDEX referrals_created_cover ON referrals (created_at, child_id, agency_id, state, answered_at);
