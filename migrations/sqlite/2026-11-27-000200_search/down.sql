DROP TRIGGER IF EXISTS published_items_fts_update;
DROP TRIGGER IF EXISTS published_items_fts_delete;
DROP TRIGGER IF EXISTS published_items_fts_insert;
DROP TABLE IF EXISTS published_items_fts;
DROP INDEX IF EXISTS published_items_identity_key_idx;
ALTER TABLE published_items DROP COLUMN search_text;
