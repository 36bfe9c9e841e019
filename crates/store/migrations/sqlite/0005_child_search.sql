-- Name search that stays fast with a prefecture's children: an FTS5 index with the trigram
-- tokenizer over the normalised name and reading, kept in step with the table by triggers.
-- Queries of one or two characters (shorter than a trigram) use LIKE instead.
CREATE VIRTUAL TABLE children_name_fts USING fts5(search_key, content = 'children', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO children_name_fts (rowid, search_key) SELECT id, search_key FROM children;

CREATE TRIGGER children_name_fts_insert AFTER INSERT ON children BEGIN
    INSERT INTO children_name_fts (rowid, search_key) VALUES (new.id, new.search_key);
END;
CREATE TRIGGER children_name_fts_delete AFTER DELETE ON children BEGIN
    INSERT INTO children_name_fts (children_name_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key);
END;
CREATE TRIGGER children_name_fts_update AFTER UPDATE OF search_key ON children BEGIN
    INSERT INTO children_name_fts (children_name_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO children_name_fts (rowid, search_key) VALUES (new.id, new.search_key);
END;
