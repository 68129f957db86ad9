-- Public search (issue #6): one search text per published item (name, licence, bases,
-- department), written at publish time, indexed by FTS5's trigram tokenizer. The FTS table is
-- external-content over published_items and kept in step by triggers, so it is filled inside the
-- publish transaction. Queries shorter than a trigram fall back to LIKE on the filtered set.
ALTER TABLE published_items ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

UPDATE published_items SET search_text =
    name || ' ' || COALESCE(licence, '') || ' ' || department_name || ' ' ||
    COALESCE((SELECT group_concat(COALESCE(json_extract(b.value, '$.title'), '') || ' ' ||
                                  COALESCE(json_extract(b.value, '$.article'), ''), ' ')
              FROM json_each(published_items.legal_bases) AS b), '');

-- An item's history across the publications of its region.
CREATE INDEX published_items_identity_key_idx ON published_items (identity_key);

CREATE VIRTUAL TABLE published_items_fts USING fts5(
    search_text, content = 'published_items', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER published_items_fts_insert AFTER INSERT ON published_items BEGIN
    INSERT INTO published_items_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER published_items_fts_delete AFTER DELETE ON published_items BEGIN
    INSERT INTO published_items_fts (published_items_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER published_items_fts_update AFTER UPDATE OF search_text ON published_items BEGIN
    INSERT INTO published_items_fts (published_items_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO published_items_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

INSERT INTO published_items_fts (published_items_fts) VALUES ('rebuild');
