-- Foundation: master data of places, accounts, sessions, API tokens, first-start setup,
-- login throttling and the tamper-evident audit log. Timestamps are UTC RFC 3339 text
-- at whole seconds (see store::db::Value), so text order is time order.

CREATE TABLE prefectures (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL REFERENCES prefectures (id),
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    UNIQUE (prefecture_id, name)
);

CREATE TABLE municipalities (
    id INTEGER PRIMARY KEY,
    region_id INTEGER NOT NULL REFERENCES regions (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX municipalities_region ON municipalities (region_id);

CREATE TABLE areas (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kana TEXT NOT NULL DEFAULT '',
    note TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE area_municipalities (
    area_id INTEGER NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    PRIMARY KEY (area_id, municipality_id)
);
CREATE INDEX area_municipalities_municipality ON area_municipalities (municipality_id);

-- The directory issue extends agencies; staff accounts need one to belong to from the start.
CREATE TABLE agencies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kana TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL DEFAULT '',
    municipality_id INTEGER REFERENCES municipalities (id),
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX agencies_municipality ON agencies (municipality_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    search_key TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('coordinator', 'supervisor', 'agency_staff', 'committee', 'admin')),
    agency_id INTEGER REFERENCES agencies (id),
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_login_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE user_areas (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    PRIMARY KEY (user_id, area_id)
);
CREATE INDEX user_areas_area ON user_areas (area_id);

-- Only the SHA-256 of a session cookie is stored: a copy of the database opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    client_addr TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE login_throttle (
    client_addr TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start TEXT NOT NULL
);

-- Append-only: each row carries the SHA-256 of the previous row's hash and its own content.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    user_login TEXT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    outcome TEXT NOT NULL,
    client_addr TEXT,
    request_id TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Chiba Prefecture's 16 health-welfare regions (障害保健福祉圏域) and 54 municipalities.
INSERT INTO prefectures (id, code, name) VALUES (1, '12', '千葉県');
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (1, 1, '千葉', 'チバ', 1);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (2, 1, '船橋', 'フナバシ', 2);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (3, 1, '柏', 'カシワ', 3);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (4, 1, '市川', 'イチカワ', 4);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (5, 1, '松戸', 'マツド', 5);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (6, 1, '野田', 'ノダ', 6);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (7, 1, '習志野', 'ナラシノ', 7);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (8, 1, '印旛', 'インバ', 8);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (9, 1, '香取', 'カトリ', 9);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (10, 1, '海匝', 'カイソウ', 10);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (11, 1, '山武', 'サンブ', 11);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (12, 1, '長生', 'チョウセイ', 12);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (13, 1, '夷隅', 'イスミ', 13);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (14, 1, '安房', 'アワ', 14);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (15, 1, '君津', 'キミツ', 15);
INSERT INTO regions (id, prefecture_id, name, kana, sort_order) VALUES (16, 1, '市原', 'イチハラ', 16);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (1, 1, '12100', '千葉市', 'チバシ', '千葉市チバシ', 12100);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (2, 2, '12204', '船橋市', 'フナバシシ', '船橋市フナバシシ', 12204);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (3, 3, '12217', '柏市', 'カシワシ', '柏市カシワシ', 12217);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (4, 4, '12203', '市川市', 'イチカワシ', '市川市イチカワシ', 12203);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (5, 4, '12227', '浦安市', 'ウラヤスシ', '浦安市ウラヤスシ', 12227);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (6, 5, '12207', '松戸市', 'マツドシ', '松戸市マツドシ', 12207);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (7, 5, '12220', '流山市', 'ナガレヤマシ', '流山市ナガレヤマシ', 12220);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (8, 5, '12222', '我孫子市', 'アビコシ', '我孫子市アビコシ', 12222);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (9, 6, '12208', '野田市', 'ノダシ', '野田市ノダシ', 12208);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (10, 7, '12216', '習志野市', 'ナラシノシ', '習志野市ナラシノシ', 12216);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (11, 7, '12221', '八千代市', 'ヤチヨシ', '八千代市ヤチヨシ', 12221);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (12, 7, '12224', '鎌ケ谷市', 'カマガヤシ', '鎌ケ谷市カマガヤシ', 12224);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (13, 8, '12211', '成田市', 'ナリタシ', '成田市ナリタシ', 12211);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (14, 8, '12212', '佐倉市', 'サクラシ', '佐倉市サクラシ', 12212);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (15, 8, '12228', '四街道市', 'ヨツカイドウシ', '四街道市ヨツカイドウシ', 12228);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (16, 8, '12230', '八街市', 'ヤチマタシ', '八街市ヤチマタシ', 12230);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (17, 8, '12231', '印西市', 'インザイシ', '印西市インザイシ', 12231);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (18, 8, '12232', '白井市', 'シロイシ', '白井市シロイシ', 12232);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (19, 8, '12233', '富里市', 'トミサトシ', '富里市トミサトシ', 12233);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (20, 8, '12322', '酒々井町', 'シスイマチ', '酒々井町シスイマチ', 12322);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (21, 8, '12329', '栄町', 'サカエマチ', '栄町サカエマチ', 12329);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (22, 9, '12236', '香取市', 'カトリシ', '香取市カトリシ', 12236);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (23, 9, '12342', '神崎町', 'コウザキマチ', '神崎町コウザキマチ', 12342);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (24, 9, '12347', '多古町', 'タコマチ', '多古町タコマチ', 12347);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (25, 9, '12349', '東庄町', 'トウノショウマチ', '東庄町トウノショウマチ', 12349);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (26, 10, '12202', '銚子市', 'チョウシシ', '銚子市チョウシシ', 12202);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (27, 10, '12215', '旭市', 'アサヒシ', '旭市アサヒシ', 12215);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (28, 10, '12235', '匝瑳市', 'ソウサシ', '匝瑳市ソウサシ', 12235);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (29, 11, '12213', '東金市', 'トウガネシ', '東金市トウガネシ', 12213);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (30, 11, '12237', '山武市', 'サンムシ', '山武市サンムシ', 12237);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (31, 11, '12239', '大網白里市', 'オオアミシラサトシ', '大網白里市オオアミシラサトシ', 12239);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (32, 11, '12403', '九十九里町', 'クジュウクリマチ', '九十九里町クジュウクリマチ', 12403);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (33, 11, '12409', '芝山町', 'シバヤママチ', '芝山町シバヤママチ', 12409);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (34, 11, '12410', '横芝光町', 'ヨコシバヒカリマチ', '横芝光町ヨコシバヒカリマチ', 12410);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (35, 12, '12210', '茂原市', 'モバラシ', '茂原市モバラシ', 12210);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (36, 12, '12421', '一宮町', 'イチノミヤマチ', '一宮町イチノミヤマチ', 12421);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (37, 12, '12422', '睦沢町', 'ムツザワマチ', '睦沢町ムツザワマチ', 12422);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (38, 12, '12423', '長生村', 'チョウセイムラ', '長生村チョウセイムラ', 12423);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (39, 12, '12424', '白子町', 'シラコマチ', '白子町シラコマチ', 12424);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (40, 12, '12426', '長柄町', 'ナガラマチ', '長柄町ナガラマチ', 12426);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (41, 12, '12427', '長南町', 'チョウナンマチ', '長南町チョウナンマチ', 12427);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (42, 13, '12218', '勝浦市', 'カツウラシ', '勝浦市カツウラシ', 12218);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (43, 13, '12238', 'いすみ市', 'イスミシ', 'イスミ市イスミシ', 12238);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (44, 13, '12441', '大多喜町', 'オオタキマチ', '大多喜町オオタキマチ', 12441);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (45, 13, '12443', '御宿町', 'オンジュクマチ', '御宿町オンジュクマチ', 12443);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (46, 14, '12205', '館山市', 'タテヤマシ', '館山市タテヤマシ', 12205);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (47, 14, '12223', '鴨川市', 'カモガワシ', '鴨川市カモガワシ', 12223);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (48, 14, '12234', '南房総市', 'ミナミボウソウシ', '南房総市ミナミボウソウシ', 12234);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (49, 14, '12463', '鋸南町', 'キョナンマチ', '鋸南町キョナンマチ', 12463);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (50, 15, '12206', '木更津市', 'キサラヅシ', '木更津市キサラヅシ', 12206);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (51, 15, '12225', '君津市', 'キミツシ', '君津市キミツシ', 12225);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (52, 15, '12226', '富津市', 'フッツシ', '富津市フッツシ', 12226);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (53, 15, '12229', '袖ケ浦市', 'ソデガウラシ', '袖ケ浦市ソデガウラシ', 12229);
INSERT INTO municipalities (id, region_id, code, name, kana, search_key, sort_order) VALUES (54, 16, '12219', '市原市', 'イチハラシ', '市原市イチハラシ', 12219);
