-- One consistent record per child: the child, guardians, certificates, benefit certificates,
-- accommodations that work, consultations (intake), the care team the access rule looks at,
-- consents and the legal basis, disclosure records, and the timeline.

CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_kana TEXT NOT NULL DEFAULT '',
    given_kana TEXT NOT NULL DEFAULT '',
    -- Normalised name and reading, for search; and reading + birth date, for the duplicate guard.
    search_key TEXT NOT NULL,
    duplicate_key TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL DEFAULT 'unknown' CHECK (sex IN ('male', 'female', 'other', 'unknown')),
    municipality_id INTEGER REFERENCES municipalities (id),
    postal_code TEXT,
    address TEXT,
    current_agency_id INTEGER REFERENCES agencies (id),
    development_notes TEXT,
    health_notes TEXT,
    diagnoses TEXT,
    medical_care TEXT,
    strengths TEXT,
    -- The coordinator's own notes: never shown to an agency.
    internal_notes TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    closed_on TEXT,
    closed_reason TEXT,
    merged_into_id INTEGER REFERENCES children (id),
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX children_area ON children (area_id, status);
CREATE INDEX children_birth_date ON children (birth_date);
CREATE INDEX children_search ON children (search_key);

CREATE TABLE guardians (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    relation TEXT NOT NULL DEFAULT '',
    phone TEXT,
    email TEXT,
    contact_preference TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX guardians_child ON guardians (child_id);

CREATE TABLE child_siblings (
    child_id INTEGER NOT NULL REFERENCES children (id),
    sibling_id INTEGER NOT NULL REFERENCES children (id),
    PRIMARY KEY (child_id, sibling_id)
);

CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    kind TEXT NOT NULL CHECK (kind IN ('physical', 'ryoiku', 'mental')),
    grade TEXT NOT NULL DEFAULT '',
    issued_on TEXT,
    renewal_on TEXT
);
CREATE INDEX certificates_child ON certificates (child_id);

CREATE TABLE benefit_certificates (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    service TEXT NOT NULL,
    amount TEXT,
    valid_from TEXT,
    valid_to TEXT
);
CREATE INDEX benefit_certificates_child ON benefit_certificates (child_id);
CREATE INDEX benefit_certificates_valid_to ON benefit_certificates (valid_to);

CREATE TABLE accommodations (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    text TEXT NOT NULL,
    found_by TEXT,
    found_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX accommodations_child ON accommodations (child_id);

CREATE TABLE consultation_categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE consultations (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    child_id INTEGER REFERENCES children (id),
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    requester TEXT NOT NULL,
    requester_agency_id INTEGER REFERENCES agencies (id),
    -- Who called, for an anonymous consultation not yet linked to a child.
    caller TEXT,
    concern TEXT NOT NULL,
    action_taken TEXT,
    minutes INTEGER,
    follow_up_on TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX consultations_child ON consultations (child_id, at);
CREATE INDEX consultations_area_at ON consultations (area_id, at);

CREATE TABLE consultation_category_links (
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    category_id INTEGER NOT NULL REFERENCES consultation_categories (id),
    PRIMARY KEY (consultation_id, category_id)
);

-- The agencies working with a child, each for a period. The care-team feature adds its screens.
CREATE TABLE care_team_members (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    role TEXT NOT NULL DEFAULT '',
    person TEXT,
    from_on TEXT NOT NULL,
    to_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX care_team_child ON care_team_members (child_id);
CREATE INDEX care_team_agency ON care_team_members (agency_id);

-- A guardian's consent naming agencies (or kinds) and parts; or the legal basis of the
-- 要保護児童対策地域協議会, recorded with basis 'legal' instead.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    -- The guardian who gave it, as named on the form.
    guardian_name TEXT,
    basis TEXT NOT NULL CHECK (basis IN ('consent', 'legal')),
    parts TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    obtained TEXT NOT NULL DEFAULT 'written' CHECK (obtained IN ('written', 'oral', 'legal')),
    council_id INTEGER REFERENCES councils (id),
    note TEXT,
    revoked_on TEXT,
    revoked_by INTEGER REFERENCES users (id),
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX consents_child ON consents (child_id);
CREATE INDEX consents_valid_to ON consents (valid_to);

CREATE TABLE consent_agencies (
    consent_id INTEGER NOT NULL REFERENCES consents (id),
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    PRIMARY KEY (consent_id, agency_id)
);
CREATE INDEX consent_agencies_agency ON consent_agencies (agency_id);

CREATE TABLE consent_agency_kinds (
    consent_id INTEGER NOT NULL REFERENCES consents (id),
    kind_id INTEGER NOT NULL REFERENCES agency_kinds (id),
    PRIMARY KEY (consent_id, kind_id)
);

-- The first time each part of a child's information reached an agency.
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    part TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    basis TEXT NOT NULL,
    consent_id INTEGER REFERENCES consents (id),
    at TEXT NOT NULL,
    UNIQUE (child_id, agency_id, part)
);
CREATE INDEX disclosures_agency ON disclosures (agency_id);

-- Everything that happened for a child, newest first on its page.
CREATE TABLE child_events (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    ref_id INTEGER,
    user_id INTEGER REFERENCES users (id)
);
CREATE INDEX child_events_child_at ON child_events (child_id, at, id);
INSERT INTO consultation_categories (name, sort_order) VALUES ('発達の心配', 1);
INSERT INTO consultation_categories (name, sort_order) VALUES ('ことば', 2);
INSERT INTO consultation_categories (name, sort_order) VALUES ('行動', 3);
INSERT INTO consultation_categories (name, sort_order) VALUES ('集団生活', 4);
INSERT INTO consultation_categories (name, sort_order) VALUES ('就学', 5);
INSERT INTO consultation_categories (name, sort_order) VALUES ('学校生活', 6);
INSERT INTO consultation_categories (name, sort_order) VALUES ('医療・診断', 7);
INSERT INTO consultation_categories (name, sort_order) VALUES ('福祉サービス', 8);
INSERT INTO consultation_categories (name, sort_order) VALUES ('手帳・制度', 9);
INSERT INTO consultation_categories (name, sort_order) VALUES ('家族・養育', 10);
INSERT INTO consultation_categories (name, sort_order) VALUES ('進路・就労', 11);
INSERT INTO consultation_categories (name, sort_order) VALUES ('二次障害', 12);
INSERT INTO consultation_categories (name, sort_order) VALUES ('その他', 13);
