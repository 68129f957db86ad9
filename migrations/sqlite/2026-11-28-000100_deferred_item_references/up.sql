-- The references of the rows an import writes by the thousand — items to their round,
-- department and submission, legal bases and findings to their item, bases to the registry —
-- are checked at the commit instead of at each statement (DEFERRABLE INITIALLY DEFERRED). An
-- immediate reference makes SQLite give every multi-row INSERT a statement journal, copying
-- each page it touches so that a violation half-way could undo the statement: a fifth of a
-- 100,000-row import's commit (BENCHMARKS.md, "Import"). Nothing is allowed that was refused
-- before: a transaction whose rows point nowhere fails at its commit and stores nothing.
-- One consequence to know: outside a transaction, an `INSERT … RETURNING` hands its row back
-- before its own commit refuses it, and diesel's `get_result` looks no further; the row is not
-- stored, but only a transaction reports why. These tables are written in transactions, and
-- the bulk path refuses to run outside one. Edited in place as migration 2026-11-27-000900
-- edits its CHECKs (SQLite documents it for constraint changes every stored row satisfies).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'round_id BIGINT NOT NULL REFERENCES rounds (id),',
        'round_id BIGINT NOT NULL REFERENCES rounds (id) DEFERRABLE INITIALLY DEFERRED,'),
        'department_id BIGINT NOT NULL REFERENCES departments (id),',
        'department_id BIGINT NOT NULL REFERENCES departments (id) DEFERRABLE INITIALLY DEFERRED,'),
        'submission_id BIGINT NOT NULL REFERENCES submissions (id),',
        'submission_id BIGINT NOT NULL REFERENCES submissions (id) DEFERRABLE INITIALLY DEFERRED,')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(replace(sql,
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,',
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,'),
        'document_id BIGINT REFERENCES legal_documents (id),',
        'document_id BIGINT REFERENCES legal_documents (id) DEFERRABLE INITIALLY DEFERRED,')
    WHERE type = 'table' AND name = 'legal_bases';
UPDATE sqlite_schema SET sql = replace(sql,
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,',
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,')
    WHERE type = 'table' AND name = 'findings';
PRAGMA writable_schema = RESET;
CREATE TABLE nianjian_schema_changed (x INTEGER);
DROP TABLE nianjian_schema_changed;
