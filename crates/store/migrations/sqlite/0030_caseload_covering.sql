-- The caseload page reads the area's active children from indexes alone: 担当, birth date and
-- 副担当 from one covering index, certificates by kind, and the few children with medical care
-- or a diagnosis from partial indexes (which now carry the state and 担当 too; the evaluation's
-- reads by area still lead with it). Reading each child's row cost a page decrypted per child
-- (40 ms an area on the prefecture). The lead and deputy indexes of 0028 are covered by it.
CREATE INDEX children_caseload ON children (area_id, status, lead_coordinator_id, birth_date, deputy_coordinator_id, id);
DROP INDEX children_medical_care;
DROP INDEX children_diagnosed;
CREATE INDEX children_medical_care ON children (area_id, status, lead_coordinator_id)
    WHERE medical_care IS NOT NULL AND medical_care <> '';
CREATE INDEX children_diagnosed ON children (area_id, status, lead_coordinator_id)
    WHERE diagnoses IS NOT NULL AND diagnoses <> '';
CREATE INDEX certificates_child_kind ON certificates (child_id, kind);
DROP INDEX children_lead;
DROP INDEX children_deputy;
