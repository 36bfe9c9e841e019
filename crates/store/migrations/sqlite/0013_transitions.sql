-- Life stages and transitions (移行): the years a child was held back (就学猶予, 原級留置), which
-- shift the school-year cohort; each planned move with its checklist placed from an editable
-- template; the handover sheet (引継ぎシート) a receiving agency gets, acknowledges and answers
-- with feedback after the move; and the family's support file (サポートファイル).
CREATE TABLE school_year_holds (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    fiscal_year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('deferment', 'repetition')),
    note TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (child_id, fiscal_year)
);

-- The checklist a new transition of a kind starts from. An item falls `month_offset` months from
-- the month of the move, on `day` (or that month's last day), moved back to a working day.
CREATE TABLE transition_template_items (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    month_offset INTEGER NOT NULL,
    day INTEGER NOT NULL CHECK (day BETWEEN 1 AND 31),
    sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX transition_template_items_kind ON transition_template_items (kind, sort_order);

CREATE TABLE transitions (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    kind TEXT NOT NULL,
    move_on TEXT NOT NULL,
    from_agency_id INTEGER REFERENCES agencies (id),
    to_agency_id INTEGER REFERENCES agencies (id),
    -- Where the child goes, in words, when it is not (yet) in the directory.
    to_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled')),
    note TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX transitions_child ON transitions (child_id);
CREATE INDEX transitions_move ON transitions (move_on) WHERE status = 'planned';

CREATE TABLE transition_items (
    id INTEGER PRIMARY KEY,
    transition_id INTEGER NOT NULL REFERENCES transitions (id),
    title TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    owner_agency_id INTEGER REFERENCES agencies (id),
    due_on TEXT,
    done_on TEXT,
    done_by INTEGER REFERENCES users (id),
    sort_order INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX transition_items_transition ON transition_items (transition_id, sort_order);
-- The home page's "checklist items due" card.
CREATE INDEX transition_items_due ON transition_items (due_on) WHERE done_on IS NULL;

CREATE TABLE handover_sheets (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children (id),
    transition_id INTEGER REFERENCES transitions (id),
    agency_id INTEGER NOT NULL REFERENCES agencies (id),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'acknowledged')),
    -- The sections of 就学支援シート / 個別の教育支援計画.
    profile TEXT,
    health TEXT,
    movement TEXT,
    eating TEXT,
    toileting TEXT,
    dressing TEXT,
    relating TEXT,
    group_activity TEXT,
    communication TEXT,
    likes TEXT,
    difficulties TEXT,
    accommodations TEXT,
    current_practice TEXT,
    wishes_child TEXT,
    wishes_family TEXT,
    contacts TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_by INTEGER REFERENCES users (id),
    sent_at TEXT,
    acknowledged_by INTEGER REFERENCES users (id),
    acknowledged_at TEXT,
    feedback_settled TEXT,
    feedback_needs TEXT,
    feedback_by INTEGER REFERENCES users (id),
    feedback_at TEXT
);
CREATE INDEX handover_sheets_child ON handover_sheets (child_id);
CREATE INDEX handover_sheets_agency ON handover_sheets (agency_id, status);
CREATE INDEX handover_sheets_transition ON handover_sheets (transition_id);

-- What only the family's support file asks for; the rest comes from the record.
CREATE TABLE support_files (
    child_id INTEGER PRIMARY KEY REFERENCES children (id),
    growth TEXT,
    aids TEXT,
    -- 特別児童扶養手当・障害児福祉手当など
    allowances TEXT,
    likes TEXT,
    behaviours TEXT,
    what_helps TEXT,
    updated_by INTEGER REFERENCES users (id),
    updated_at TEXT NOT NULL
);

-- The national calendar around each kind of move (文部科学省「障害のある子供の教育支援の手引」:
-- 就学相談 in spring–summer, 就学時健康診断 by November 30, 就学通知 by January 31).
INSERT INTO transition_template_items (kind, title, owner, month_offset, day, sort_order) VALUES
    ('elementary', '就学相談の申込み・面談（教育委員会）', '保護者・コーディネーター', -8, 31, 1),
    ('elementary', '就学先の見学・体験', '保護者', -7, 30, 2),
    ('elementary', '就学時健康診断', '保護者', -5, 30, 3),
    ('elementary', '就学通知の受領（1月31日まで）', '保護者', -3, 31, 4),
    ('elementary', '引継ぎシートの作成と保護者の確認', 'コーディネーター', -2, 15, 5),
    ('elementary', '引継ぎ会議（就学先・園・保護者）', 'コーディネーター', -1, 20, 6),
    ('elementary', '入学後のフォローアップ訪問', 'コーディネーター', 1, 31, 7),
    ('junior_high', '進学先についての相談', '保護者・小学校', -7, 31, 1),
    ('junior_high', '中学校の見学・体験', '保護者', -5, 30, 2),
    ('junior_high', '引継ぎシートの作成と保護者の確認', 'コーディネーター', -2, 15, 3),
    ('junior_high', '引継ぎ会議（中学校・小学校・保護者）', 'コーディネーター', -1, 20, 4),
    ('junior_high', '入学後のフォローアップ訪問', 'コーディネーター', 1, 31, 5),
    ('high_school', '進路相談・学校見学', '保護者・中学校', -9, 31, 1),
    ('high_school', '出願・選考', '保護者・中学校', -2, 28, 2),
    ('high_school', '引継ぎシートの作成と保護者の確認', 'コーディネーター', -2, 15, 3),
    ('high_school', '引継ぎ会議', 'コーディネーター', -1, 20, 4),
    ('high_school', '入学後のフォローアップ訪問', 'コーディネーター', 1, 31, 5),
    ('after_graduation', '卒業後の進路の相談（就労・福祉サービス）', '保護者・学校', -12, 30, 1),
    ('after_graduation', '実習・体験利用', '学校', -6, 30, 2),
    ('after_graduation', '障害福祉サービスの申請・受給者証', '保護者・市町村', -2, 28, 3),
    ('after_graduation', '引継ぎシートの作成と引継ぎ会議', 'コーディネーター', -1, 20, 4),
    ('after_graduation', '移行後のフォローアップ', 'コーディネーター', 1, 31, 5),
    ('change_of_school', '転園・転校先との連絡', 'コーディネーター', -1, 15, 1),
    ('change_of_school', '引継ぎシートの送付', 'コーディネーター', -1, 25, 2),
    ('change_of_school', '移行後のフォローアップ', 'コーディネーター', 1, 31, 3),
    ('move', '転居先市町村の窓口・コーディネーターへの連絡', 'コーディネーター', -1, 15, 1),
    ('move', '受給者証・手帳の手続きの案内', 'コーディネーター', -1, 25, 2),
    ('move', '引継ぎシートの送付', 'コーディネーター', -1, 25, 3);
