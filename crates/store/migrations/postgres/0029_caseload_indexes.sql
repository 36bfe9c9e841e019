-- The caseload page counts each active child's open referrals and meetings of the month
-- through the child's own index: covering the state (and status) spares a table read per row.
CREATE INDEX referrals_child_state ON referrals (child_id, state);
CREATE INDEX meetings_child_status ON meetings (child_id, starts_at, status);
