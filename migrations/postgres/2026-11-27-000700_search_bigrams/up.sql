-- SQLite's bigram index for two-character search terms (see the SQLite migration of the same
-- name). PostgreSQL answers every term through LIKE on `search_text` with its pg_trgm index;
-- nothing to add here, the migration exists so both backends carry the same versions.
SELECT 1;
