-- Public search (issue #6): one search text per published item (name, licence, bases,
-- department), written at publish time, with a pg_trgm GIN index that serves ILIKE '%…%'.
-- Queries shorter than a trigram fall back to ILIKE on the filtered set.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE published_items ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

UPDATE published_items SET search_text =
    name || ' ' || COALESCE(licence, '') || ' ' || department_name || ' ' ||
    COALESCE((SELECT string_agg(COALESCE(b ->> 'title', '') || ' ' || COALESCE(b ->> 'article', ''), ' ')
              FROM json_array_elements(published_items.legal_bases::json) AS b), '');

-- An item's history across the publications of its region.
CREATE INDEX published_items_identity_key_idx ON published_items (identity_key);

CREATE INDEX published_items_search_trgm_idx ON published_items USING gin (search_text gin_trgm_ops);
