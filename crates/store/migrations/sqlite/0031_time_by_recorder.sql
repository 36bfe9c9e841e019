-- The caseload page sums the minutes each coordinator recorded in a month of consultations:
-- the area's index carries who recorded them, so no consultation row is read. The indexes by
-- recorder of 0028 served nothing (every reader starts from the area) and are dropped.
DROP INDEX consultations_area_at;
CREATE INDEX consultations_area_at ON consultations (area_id, at, created_by, minutes);
DROP INDEX consultations_created_by;
DROP INDEX visits_created_by;
DROP INDEX meetings_created_by;
DROP INDEX referrals_created_by;
