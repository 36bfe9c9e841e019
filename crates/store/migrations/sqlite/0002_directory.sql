-- The local resources directory: agency kinds with their sector, the agency's details,
-- contacts, services and the areas it serves beyond its own; councils and their members.

CREATE TABLE agency_kinds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    sector TEXT NOT NULL CHECK (sector IN ('health', 'medical', 'welfare', 'education', 'administration', 'employment', 'other')),
    sort_order INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);

ALTER TABLE agencies ADD COLUMN kind_id INTEGER REFERENCES agency_kinds (id);
ALTER TABLE agencies ADD COLUMN postal_code TEXT;
ALTER TABLE agencies ADD COLUMN address TEXT;
ALTER TABLE agencies ADD COLUMN phone TEXT;
ALTER TABLE agencies ADD COLUMN fax TEXT;
ALTER TABLE agencies ADD COLUMN email TEXT;
ALTER TABLE agencies ADD COLUMN website TEXT;
ALTER TABLE agencies ADD COLUMN hours TEXT;
ALTER TABLE agencies ADD COLUMN age_from INTEGER;
ALTER TABLE agencies ADD COLUMN age_to INTEGER;
ALTER TABLE agencies ADD COLUMN needs_served TEXT;
ALTER TABLE agencies ADD COLUMN capacity_note TEXT;
ALTER TABLE agencies ADD COLUMN capacity_checked_on TEXT;
ALTER TABLE agencies ADD COLUMN notes TEXT;
ALTER TABLE agencies ADD COLUMN closed_on TEXT;
ALTER TABLE agencies ADD COLUMN address_key TEXT NOT NULL DEFAULT '';
CREATE INDEX agencies_kind ON agencies (kind_id);
CREATE INDEX agencies_search ON agencies (search_key);
CREATE INDEX agencies_address_key ON agencies (address_key);

CREATE TABLE agency_contacts (
    id INTEGER PRIMARY KEY,
    agency_id INTEGER NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agency_contacts_agency ON agency_contacts (agency_id);

-- A service from the controlled list or a free tag, by name.
CREATE TABLE agency_services (
    agency_id INTEGER NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (agency_id, name)
);
CREATE INDEX agency_services_name ON agency_services (name);

-- Areas an agency serves besides those of the municipality where it stands.
CREATE TABLE agency_served_areas (
    agency_id INTEGER NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    PRIMARY KEY (agency_id, area_id)
);
CREATE INDEX agency_served_areas_area ON agency_served_areas (area_id);

CREATE TABLE councils (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (area_id, name)
);

CREATE TABLE council_members (
    council_id INTEGER NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    PRIMARY KEY (council_id, agency_id)
);
CREATE INDEX council_members_agency ON council_members (agency_id);

INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('市町村障害福祉主管課', 'administration', 1);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('市町村児童主管課・こども家庭センター', 'administration', 2);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('保健センター・保健所', 'health', 3);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('保育所・認定こども園', 'welfare', 4);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('幼稚園', 'education', 5);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('小学校', 'education', 6);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('中学校', 'education', 7);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('高等学校', 'education', 8);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('特別支援学校', 'education', 9);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('医療機関', 'medical', 10);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('子育て支援センター', 'welfare', 11);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('発達障害者支援センター', 'welfare', 12);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('中核地域生活支援センター', 'welfare', 13);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('障害者就業・生活支援センター', 'employment', 14);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('児童相談所', 'administration', 15);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('児童発達支援事業所・センター', 'welfare', 16);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('放課後等デイサービス', 'welfare', 17);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('障害児相談支援事業所', 'welfare', 18);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('障害児入所施設', 'welfare', 19);
INSERT INTO agency_kinds (name, sector, sort_order) VALUES ('その他', 'other', 20);
