-- Public search terms of two characters (驾驶, 年检) are below a trigram, so the trigram index
-- cannot answer them and they used to scan the publication with LIKE. This contentless FTS5
-- table indexes every two-character window of an item's search text as one token
-- (`db::backend::bigrams` writes the same windows at publish time); the unicode61 tokenizer
-- splits windows holding a space or punctuation into single characters, which no two-character
-- term matches. Published items never change, so no triggers: publish fills it.
CREATE VIRTUAL TABLE published_items_bigrams USING fts5(
    bigrams, content = '', tokenize = 'unicode61 remove_diacritics 0'
);

-- Items published before this migration: the windows computed in SQL.
INSERT INTO published_items_bigrams (rowid, bigrams)
WITH RECURSIVE w(id, text, i) AS (
    SELECT id, search_text, 1 FROM published_items WHERE length(search_text) >= 2
    UNION ALL
    SELECT id, text, i + 1 FROM w WHERE i + 2 <= length(text)
)
SELECT id, group_concat(substr(text, i, 2), ' ') FROM w GROUP BY id;
