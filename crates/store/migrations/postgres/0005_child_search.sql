-- Name search that stays fast with a prefecture's children: a trigram GIN index, which serves
-- LIKE '%…%' directly. (pg_trgm is a trusted extension: the database owner may create it.)
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX children_search_trgm ON children USING gin (search_key gin_trgm_ops);
