DROP INDEX IF EXISTS published_items_search_trgm_idx;
DROP INDEX IF EXISTS published_items_identity_key_idx;
ALTER TABLE published_items DROP COLUMN search_text;
