-- The guardian's check of a handover sheet before it is sent: the day they went through it
-- with the coordinator and who they were. A sheet is sent only with it.
ALTER TABLE handover_sheets ADD COLUMN guardian_checked_on TEXT;
ALTER TABLE handover_sheets ADD COLUMN guardian_checked_by TEXT;
