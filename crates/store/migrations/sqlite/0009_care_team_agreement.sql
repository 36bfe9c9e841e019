-- Whether the family agreed to share with this member of the care team.
ALTER TABLE care_team_members ADD COLUMN family_agreed INTEGER NOT NULL DEFAULT 0;
