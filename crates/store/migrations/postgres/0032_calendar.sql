-- The year-end closure each area sets (month-day 'MM-DD'; both empty: no closure), and where a
-- checklist line's due date moves when it falls on a closed day.
ALTER TABLE areas ADD COLUMN closure_from TEXT DEFAULT '12-29';
ALTER TABLE areas ADD COLUMN closure_to TEXT DEFAULT '01-03';
ALTER TABLE transition_template_items ADD COLUMN if_closed TEXT NOT NULL DEFAULT 'before';
-- A meeting's revision for calendar files (RFC 5545 SEQUENCE), raised on every change.
ALTER TABLE meetings ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
-- This installation's random id, so calendar UIDs (meeting-N.<id>@tsunagu) never collide with
-- another installation's in the same calendar.
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    uid TEXT NOT NULL
);
INSERT INTO installation (id, uid) VALUES (1, replace(gen_random_uuid()::text, '-', ''));
